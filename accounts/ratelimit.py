"""Counters for caps and blocks, kept in the shared cache (Redis in production).

Every counter compares event times with ``timezone.now()``, so a cap means "at most N in any
rolling window" and tests move time with the fake clock even when the cache is Redis (whose own
expiry follows the real clock; it only cleans up). Keys are built from keyed hashes, never from
what a user typed.

On Redis each change is one Lua call, so concurrent requests never lose each other's events: a
window is a sorted set of event times, a streak a hash of its count and last time. On other
caches (the database cache of ``make run``, tests without Redis) a change is a read then a write,
so requests racing on one key may lose events. Exact, once-only decisions (a code's tries, its
single use) are made on database rows under ``select_for_update`` instead.

A store that does not answer raises ``portal.ratelimit.LimitStoreDown`` from every function here,
and every caller lets it through: sending a code, and checking one, stop with the 503 "try again
in a minute" page (nothing sent, nothing checked, nothing written), never a 500.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.cache import redis_backend
from portal.ratelimit import store

PREFIX = "accounts:rl"
MAX_EVENTS = 500  # a window keeps at most this many times (every cap is far below)

# KEYS[1] the window; ARGV: now, cutoff (events at or before it have left), ttl, a unique member.
HIT_SCRIPT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then redis.call('DEL', KEYS[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return redis.call('ZCOUNT', KEYS[1], '(' .. ARGV[2], '+inf')
"""

# KEYS[1] the window; ARGV: the cutoff, the limit. The events still in the window and, when they
# reach the limit, the time of the one whose leaving frees a place.
STATE_SCRIPT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then return {0} end
local min = '(' .. ARGV[1]
local n = redis.call('ZCOUNT', KEYS[1], min, '+inf')
local limit = tonumber(ARGV[2])
if n < limit then return {n} end
local at = redis.call('ZRANGEBYSCORE', KEYS[1], min, '+inf', 'WITHSCORES', 'LIMIT', n - limit, 1)
return {n, at[2]}
"""

# KEYS[1] the streak; ARGV: now, ttl (a streak idle that long starts again).
STREAK_SCRIPT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then redis.call('DEL', KEYS[1]) end
local last = tonumber(redis.call('HGET', KEYS[1], 't') or '0')
local count = 0
if tonumber(ARGV[1]) - last < tonumber(ARGV[2]) then
  count = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
end
count = count + 1
redis.call('HSET', KEYS[1], 'n', count, 't', ARGV[1])
redis.call('EXPIRE', KEYS[1], math.floor(tonumber(ARGV[2])) + 60)
return count
"""


def key_for(kind: str, value: object) -> str:
    """A cache key for ``value`` (an id, an IP, a typed identifier) that never contains it."""
    digest = salted_hmac("accounts.ratelimit", f"{kind}:{value}", algorithm="sha256").hexdigest()
    return f"{PREFIX}:{kind}:{digest[:40]}"


@dataclass(frozen=True)
class Window:
    count: int
    retry_at: datetime | None  # when one more event would be allowed under ``limit``


def _times(key: str, window: int, now: datetime) -> list[float]:
    cutoff = (now - timedelta(seconds=window)).timestamp()
    return [t for t in (cache.get(key) or []) if t > cutoff]


def _scope(key: str) -> str:
    return key.rsplit(":", 1)[0]  # the kind, without the digest


def window_state(key: str, *, limit: int, window: int) -> Window:
    with store(_scope(key)):
        return _window_state(key, limit=limit, window=window)


def _window_state(key: str, *, limit: int, window: int) -> Window:
    now = timezone.now()
    backend = redis_backend()
    if backend is not None:
        cutoff = (now - timedelta(seconds=window)).timestamp()
        name = backend.make_and_validate_key(key)
        found = backend.script(STATE_SCRIPT)(
            keys=[name], args=[cutoff, limit], client=backend.client()
        )
        count, frees_at = int(found[0]), (float(found[1]) if len(found) > 1 else None)
    else:
        times = sorted(_times(key, window, now))
        count = len(times)
        frees_at = times[count - limit] if count >= limit else None
    retry_at = None
    if frees_at is not None:
        retry_at = datetime.fromtimestamp(frees_at, tz=now.tzinfo) + timedelta(seconds=window)
    return Window(count=count, retry_at=retry_at)


def window_hit(key: str, *, window: int) -> int:
    """Record one event now; returns the events in the window, this one included."""
    with store(_scope(key)):
        return _window_hit(key, window=window)


def _window_hit(key: str, *, window: int) -> int:
    now = timezone.now()
    backend = redis_backend()
    if backend is not None:
        cutoff = (now - timedelta(seconds=window)).timestamp()
        args = [now.timestamp(), cutoff, window + 60, secrets.token_hex(8), MAX_EVENTS]
        name = backend.make_and_validate_key(key)
        return int(backend.script(HIT_SCRIPT)(keys=[name], args=args, client=backend.client()))
    times = _times(key, window, now)
    times.append(now.timestamp())
    cache.set(key, times[-MAX_EVENTS:], timeout=window + 60)
    return len(times)


def streak_add(key: str, *, ttl: int) -> int:
    """Count one more consecutive event (a wrong code); a streak older than ``ttl`` restarts."""
    with store(_scope(key)):
        return _streak_add(key, ttl=ttl)


def _streak_add(key: str, *, ttl: int) -> int:
    now = timezone.now()
    backend = redis_backend()
    if backend is not None:
        name = backend.make_and_validate_key(key)
        script = backend.script(STREAK_SCRIPT)
        return int(script(keys=[name], args=[now.timestamp(), ttl], client=backend.client()))
    value = cache.get(key)
    count = 0
    if value and now.timestamp() - value[1] < ttl:
        count = value[0]
    count += 1
    cache.set(key, (count, now.timestamp()), timeout=ttl + 60)
    return count


def streak_clear(key: str) -> None:
    with store(_scope(key)):
        cache.delete(key)
