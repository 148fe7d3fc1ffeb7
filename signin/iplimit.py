"""The per-IP limit against credential stuffing, kept in the shared cache (Redis in production).

``LOCKOUT_IP_FAILURE_LIMIT`` (30) failures from one client IP, across any usernames, within the
cool-off window block that IP for the cool-off. The window slides in two halves of fixed buckets
one cool-off long (the current bucket plus the previous one), so a burst split across a bucket
edge still counts. Networks in ``LOCKOUT_TRUSTED_NETWORKS`` are never counted or blocked (whole
offices behind one NAT address). Like the account counters, a failure is counted before the
password is checked and given back when it was right, so concurrent attempts cannot slip past.

Times are decided by the portal's clock, not by cache expiry (expiry only frees memory), so the
rules hold the same on Redis, the database cache and in tests with a fake clock. A block is also a
``Lock`` row (scope ``ip``) with a reference, so agents see and lift it.

A cache that does not answer (``portal.ratelimit.LimitStoreDown``): an attempt is neither counted
nor refused on its IP (one warning line; the account counters, in the database, still lock), and
starting or lifting a block answers the 503 "try again in a minute" page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.utils import timezone

from portal.cache import redis_backend
from portal.ratelimit import LimitStoreDown, store, store_down_logged
from signin import conf

PREFIX = "signin:ip:"
SCOPE = "signin:ip"


@dataclass(frozen=True)
class IpCount:
    number: int  # failures of the IP in the window, this one included; 0 when not counted
    bucket: int  # where it was counted (to give it back)
    reference: str | None  # the IP's current block
    refused: bool = False  # blocked, or the limit's last attempts are in flight


def counted(ip: str | None) -> bool:
    return bool(ip) and not conf.is_trusted_network(ip)


def _digest(ip: str) -> str:
    return hashlib.sha256(ip.encode()).hexdigest()[:32]


def _window() -> int:
    return int(conf.cooloff().total_seconds())


def _bucket(now=None) -> int:
    return int((now or timezone.now()).timestamp()) // _window()


def _count_key(ip: str, bucket: int) -> str:
    return f"{PREFIX}n:{_digest(ip)}:{bucket}"


def _block_key(ip: str) -> str:
    return f"{PREFIX}block:{_digest(ip)}"


def _active_reference(value) -> str | None:
    """A block is stored as "reference|until" (epoch seconds)."""
    if not isinstance(value, str) or "|" not in value:
        return None
    reference, until = value.split("|", 1)
    return reference if until.isdigit() and int(until) > timezone.now().timestamp() else None


def block_reference(ip: str | None) -> str | None:
    """The reference of the IP's current block, if any."""
    if not counted(ip):
        return None
    try:
        with store(SCOPE):
            return _active_reference(cache.get(_block_key(ip)))
    except LimitStoreDown as exc:
        store_down_logged(exc, outcome="its block is not applied")
        return None


@store(SCOPE)
def failures(ip: str | None) -> int:
    if not counted(ip):
        return 0
    bucket = _bucket()
    values = cache.get_many([_count_key(ip, bucket), _count_key(ip, bucket - 1)])
    return sum(int(v or 0) for v in values.values())


def count(ip: str, *, stop_at_limit: bool) -> IpCount:
    """Count one failure in advance. When the IP is blocked, or (``stop_at_limit``) when the
    count would pass the limit, nothing is counted and the result is ``refused``.

    If the cache is down, the IP is not counted (logged): the account counters, in the
    database, still hold, and nobody is shut out by a cache outage.
    """
    try:
        with store(SCOPE):
            return _count(ip, stop_at_limit=stop_at_limit)
    except LimitStoreDown as exc:
        store_down_logged(exc, outcome="the attempt is not counted on its IP")
        return IpCount(0, 0, None)


COUNT_SCRIPT = """
local block = redis.call('GET', KEYS[3])
if block and ARGV[2] == '1' then
  return {false, false, block}
end
redis.call('SET', KEYS[1], 0, 'EX', ARGV[1], 'NX')
return {redis.call('INCR', KEYS[1]), redis.call('GET', KEYS[2]), block}
"""


def _count(ip: str, *, stop_at_limit: bool) -> IpCount:
    backend = redis_backend()
    if backend is not None:
        counted = _count_redis(backend, ip, stop_at_limit=stop_at_limit)
        if counted is not None:
            return counted
    return _count_any_cache(ip, stop_at_limit=stop_at_limit)


def _count_redis(backend, ip: str, *, stop_at_limit: bool) -> IpCount | None:
    """The same count in one round trip (a Lua script: read the block and the previous bucket,
    count in the current one, atomically). None when a stale block value is in the way (the
    portal's clock, not the cache's expiry, says when a block ends): the generic path decides."""
    bucket = _bucket()
    keys = [
        backend.make_and_validate_key(key)
        for key in (_count_key(ip, bucket), _count_key(ip, bucket - 1), _block_key(ip))
    ]
    ttl = 2 * _window() + 60
    count_script = backend.script(COUNT_SCRIPT)
    number, previous, block = count_script(
        keys=keys, args=[ttl, int(stop_at_limit)], client=backend.client()
    )
    reference = _active_reference(backend.loads(block)) if block is not None else None
    if number is None:  # not counted: a block value is there
        return IpCount(0, bucket, reference, refused=True) if reference else None
    number = int(number) + int(previous or 0)
    if stop_at_limit and number > conf.ip_failure_limit():
        give_back(ip, bucket)
        return IpCount(0, bucket, reference, refused=True)
    return IpCount(number, bucket, reference)


def _count_any_cache(ip: str, *, stop_at_limit: bool) -> IpCount:
    bucket = _bucket()
    current, previous, block = _count_key(ip, bucket), _count_key(ip, bucket - 1), _block_key(ip)
    values = cache.get_many([current, previous, block])
    reference = _active_reference(values.get(block))
    if reference and stop_at_limit:
        return IpCount(0, bucket, reference, refused=True)
    if current not in values:
        cache.add(current, 0, timeout=2 * _window() + 60)
    try:
        number = cache.incr(current)
    except ValueError:  # evicted in between
        cache.set(current, 1, timeout=2 * _window() + 60)
        number = 1
    number += int(values.get(previous) or 0)
    if stop_at_limit and number > conf.ip_failure_limit():
        give_back(ip, bucket)
        return IpCount(0, bucket, reference, refused=True)
    if stop_at_limit and reference is None:
        # A concurrent request may have started the block (and emptied the counts) between our
        # read and our increment: look once more, so no attempt slips past a fresh block.
        reference = _active_reference(cache.get(block))
        if reference:
            give_back(ip, bucket)
            return IpCount(0, bucket, reference, refused=True)
    return IpCount(number, bucket, reference)


def give_back(ip: str, bucket: int) -> None:
    try:
        with store(SCOPE):
            cache.decr(_count_key(ip, bucket))
    except ValueError:
        pass  # already gone: nothing left to give back
    except LimitStoreDown as exc:
        store_down_logged(exc, outcome="a count is not given back")


@store(SCOPE)
def block_claim(ip: str, *, reference: str, until) -> bool:
    """Start the block (one concurrent caller wins); counting starts afresh after it."""
    value = f"{reference}|{int(until.timestamp())}"
    seconds = max(1, int((until - timezone.now()).total_seconds())) + 60
    block = _block_key(ip)
    if not cache.add(block, value, timeout=seconds):
        if _active_reference(cache.get(block)):
            return False
        cache.set(block, value, timeout=seconds)  # a stale block the cache still held
    bucket = _bucket()
    cache.delete_many([_count_key(ip, bucket), _count_key(ip, bucket - 1)])
    return True


@store(SCOPE)
def block_rename(ip: str, *, reference: str, until) -> None:
    seconds = max(1, int((until - timezone.now()).total_seconds())) + 60
    cache.set(_block_key(ip), f"{reference}|{int(until.timestamp())}", timeout=seconds)


@store(SCOPE)
def block_lift(ip: str) -> None:
    bucket = _bucket()
    cache.delete_many([_block_key(ip), _count_key(ip, bucket), _count_key(ip, bucket - 1)])
