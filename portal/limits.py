"""The portal's one counter: every rate limit, cap, streak and block, in the shared cache.

Four shapes, each named by a ``scope`` and counted per ``subject`` (an IP, an id, a typed name):

- ``Fixed``: at most ``limit`` events per window of ``seconds``, windows aligned on the epoch
  (a clock hour, a day). With ``buckets=2`` the window slides in halves: this window and the one
  before count together, so a burst split across an edge still counts. Several fixed counters can
  be taken at once (``take``), all or nothing. Specs read like ``"3/h,6/d"`` (``hit``, ``peek``).
- ``Rolling``: the events of the last ``seconds`` (a sorted set of event times), with when the
  next event would be allowed under a limit.
- ``Streak``: consecutive events (wrong codes); one idle for ``ttl`` starts again.
- ``Block``: a value (a lock reference) with an end time.

**Time** is the portal's clock (``timezone.now()``), so tests move it with a fake clock even on
Redis, whose own expiry only frees memory.

**Atomic on Redis**: each check-and-count is one Lua call, so concurrent requests lose no event
and never pass a limit together. Without Redis (``make run``: SQLite and the database cache, still
shared between processes) a change is a read then a write through Django's cache API: requests
racing on one key may lose an event. Exact once-only decisions (a code's tries, the account's
lock) are made on database rows instead.

**Keys** are HMAC-SHA-256 digests of scope and subject under the portal's signing key
(``portal.keys.signing_keys()``, ``SECRET_KEY`` first): the store never holds an IP, a name or
an id, nor a plain hash of one that could be guessed back. **A key rotation carries counts over**:
while the old key is listed in ``SECRET_KEY_FALLBACKS``, every read also counts what was stored
under it (in the same Lua call) and new events are stored under the new key, so rotating the key
never gives anyone a fresh budget or lifts a block; a clear removes both. Once the old key leaves
the fallbacks, what was counted under it is forgotten (the longest window here is a day).

**A store that does not answer** (Redis down, the database cache's table missing) is one
exception for every limiter: ``LimitStoreDown``. A caller either lets it through, and the request
ends with the translated 503 "try again in a minute" page (``portal.middleware.
LimitStoreDownMiddleware``: nothing was sent or checked, the transaction is rolled back), or,
where the database holds the real bound, passes ``on_down`` (what happens instead) and goes on
uncounted with one warning line (``store_down_logged``). docs/site.md lists which is which.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis.exceptions
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portal.cache import redis_backend
from portal.keys import signing_keys

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_EVENTS = 500  # a rolling window keeps at most this many times (every cap is far below)
RETRY_AFTER_SECONDS = 60

# What a store that does not answer raises: Redis unreachable, timing out, read-only (a failover
# in progress), out of memory or not speaking Redis; a socket error; the database cache's query
# failing. Any other error is a bug and stays what it is.
STORE_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.InvalidResponse,
    DatabaseError,
)


# --- a store that does not answer ---------------------------------------------------------------
class LimitStoreDown(Exception):
    """The store of the limit ``scope`` did not answer; ``__cause__`` holds the store's error."""

    retry_after = RETRY_AFTER_SECONDS

    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope

    @property
    def cause(self) -> str:
        return self.__cause__.__class__.__name__ if self.__cause__ is not None else "unknown"


@contextmanager
def store(scope: str) -> Iterator[None]:
    """Store calls inside raise ``LimitStoreDown(scope)`` when the store does not answer."""
    try:
        with _undo_point():
            yield
    except STORE_ERRORS as exc:
        raise LimitStoreDown(scope) from exc


def _undo_point():
    """The database cache inside a transaction: a savepoint, so a failed cache query undoes only
    itself and a caller that goes on uncounted keeps a usable transaction (PostgreSQL aborts the
    whole transaction otherwise). Redis needs none."""
    if isinstance(caches["default"], DatabaseCache) and connection.in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def store_down_logged(exc: LimitStoreDown, *, outcome: str) -> None:
    """The one log line of a store that did not answer (never a traceback, never a key)."""
    logger.warning("limit %s: its store did not answer (%s); %s", exc.scope, exc.cause, outcome)


@contextmanager
def _guarded(scope: str, on_down: str | None) -> Iterator[list[bool]]:
    """``store(scope)``; with ``on_down``, a store that does not answer is logged and the block
    ends quietly (the flag yielded tells the caller to answer uncounted)."""
    down = [False]
    try:
        with store(scope):
            yield down
    except LimitStoreDown as exc:
        if on_down is None:
            raise
        store_down_logged(exc, outcome=on_down)
        down[0] = True


# --- keys ---------------------------------------------------------------------------------------
def names(scope: str, subject: object) -> list[str]:
    """The store's names for ``subject`` in ``scope``: the current signing key's first, then one
    per fallback key (read, never written). Never the subject, never a plain hash of it."""
    value = f"{scope}\x00{subject}"
    return [
        f"lim:{scope}:"
        + salted_hmac("portal.limits", value, secret=key, algorithm="sha256").hexdigest()[:40]
        for key in signing_keys()
    ]


def _now() -> float:
    return timezone.now().timestamp()


def _run(backend, source: str, all_names: Sequence[str], args: Sequence[object] = ()):
    """Redis: the Lua ``source`` on ``all_names`` (made into the cache's keys), one round trip."""
    keys = [backend.make_and_validate_key(name) for name in all_names]
    return backend.script(source)(keys=keys, args=args, client=backend.client())


def _mget(backend, all_names: Sequence[str]) -> list[object]:
    """Redis: the stored values of ``all_names`` (None for a missing one), one round trip."""
    return backend.client().mget([backend.make_and_validate_key(name) for name in all_names])


# --- fixed windows ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Fixed:
    """At most ``limit`` events per ``seconds``; ``buckets`` windows counted together."""

    scope: str
    seconds: int
    limit: int
    buckets: int = 1

    def bucket(self, now: float) -> int:
        return int(now) // self.seconds

    def _names(self, subject: object, bucket: int) -> tuple[str, list[str]]:
        """(the name counted in now, the names read with it)."""
        base = names(self.scope, subject)
        read = [
            f"{n}:{self.seconds}:{b}"
            for b in range(bucket, bucket - self.buckets, -1)
            for n in base
        ]
        return read[0], read[1:]

    def _all_names(self, subject: object, now: float) -> list[str]:
        write, read = self._names(subject, self.bucket(now))
        return [write, *read]

    def ends_in(self, now: float) -> int:
        """Seconds until the current window ends (and one more event may be allowed)."""
        return int((self.bucket(now) + 1) * self.seconds - now) + 1

    @property
    def ttl(self) -> int:
        return self.buckets * self.seconds + 60

    def hit(
        self,
        subject: object,
        *,
        stop_at_limit: bool = False,
        blocked_by: Block | None = None,
        on_down: str | None = None,
    ) -> Hit:
        """Count one event. ``stop_at_limit``: an event past the limit is not counted (``refused``).
        ``blocked_by``: the subject's block is read in the same call and, with ``stop_at_limit``,
        refuses the event uncounted while it lasts."""
        now = _now()
        bucket = self.bucket(now)
        with _guarded(self.scope, on_down) as down:
            taken = _take(
                [(self, subject)],
                now=now,
                refund=stop_at_limit,
                block=(blocked_by, subject) if blocked_by else None,
                stop_if_blocked=stop_at_limit,
            )
        if down[0]:
            return Hit(0, bucket, None)
        if (taken.over is not None and stop_at_limit) or taken.counts == ():
            return Hit(0, bucket, taken.block, refused=True)
        return Hit(taken.counts[0], bucket, taken.block)

    def count(self, subject: object) -> int:
        """The events counted now (nothing counted)."""
        with store(self.scope):
            return _read_sum([self._all_names(subject, _now())])[0]

    def give_back(self, subject: object, bucket: int, *, on_down: str | None = None) -> None:
        """Take back one event counted in ``bucket`` (``Hit.bucket``); nothing when it is gone."""
        write, _read = self._names(subject, bucket)
        with _guarded(self.scope, on_down):
            backend = redis_backend()
            if backend is not None:
                _run(backend, DECR_EXISTING, [write])
            else:
                _cache_add(write, -1, ttl=self.ttl)

    def clear(self, subject: object) -> None:
        with store(self.scope):
            _delete(self._all_names(subject, _now()))


@dataclass(frozen=True)
class Hit:
    number: int  # events in the window, this one included; 0 when not counted
    bucket: int  # where it was counted (to give it back)
    block: str | None  # the subject's block, when one was read and is on
    refused: bool = False  # blocked, or past the limit with ``stop_at_limit``


@dataclass(frozen=True)
class Taken:
    counts: tuple[int, ...]  # each counter's events, this one included; () when blocked
    over: int | None  # the first counter past its limit
    block: str | None = None


def take(counters: Sequence[tuple[Fixed, object]], *, all_or_nothing: bool = True) -> Taken:
    """Count one event on each ``(counter, subject)`` in one call. ``all_or_nothing``: when one is
    past its limit, none keeps the event (a refused send costs nothing)."""
    if not counters:
        return Taken((), None)
    with store(counters[0][0].scope):
        return _take(counters, now=_now(), refund=all_or_nothing)


# KEYS: the block's names (ARGV[4] of them), then per counter the name it counts in and the names
# it reads. ARGV: now, refund ('1': nothing stays counted when one passes its limit), stop ('1':
# nothing is counted while the block is on), blocks, counters, then per counter: limit, ttl, reads.
FIXED_SCRIPT = """
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[4])
local block = false
for i = 1, nb do
  local v = redis.call('GET', KEYS[i])
  if v then
    local untl, value = string.match(v, '^(%d+)|(.*)$')
    if untl and tonumber(untl) > now then block = value break end
  end
end
if block and ARGV[3] == '1' then return {block, -1} end
local counts, written = {}, {}
local k, a, over = nb + 1, 6, 0
for i = 1, tonumber(ARGV[5]) do
  local limit, ttl, reads = tonumber(ARGV[a]), ARGV[a + 1], tonumber(ARGV[a + 2])
  a = a + 3
  redis.call('SET', KEYS[k], 0, 'EX', ttl, 'NX')
  local n = redis.call('INCR', KEYS[k])
  written[i] = KEYS[k]
  k = k + 1
  for j = 1, reads do
    n = n + tonumber(redis.call('GET', KEYS[k]) or '0')
    k = k + 1
  end
  counts[i] = n
  if over == 0 and n > limit then over = i end
end
if over > 0 and ARGV[2] == '1' then
  for i = 1, #written do redis.call('DECR', written[i]) end
end
return {block, over, unpack(counts)}
"""

DECR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECR', KEYS[1]) end
return false
"""


def _take(
    counters: Sequence[tuple[Fixed, object]],
    *,
    now: float,
    refund: bool,
    block: tuple[Block, object] | None = None,
    stop_if_blocked: bool = False,
) -> Taken:
    plan = [
        (counter, *counter._names(subject, counter.bucket(now))) for counter, subject in counters
    ]
    block_names = names(block[0].scope, block[1]) if block else []
    backend = redis_backend()
    if backend is not None:
        return _take_redis(backend, plan, block_names, now=now, refund=refund, stop=stop_if_blocked)
    return _take_cache(plan, block_names, now=now, refund=refund, stop=stop_if_blocked)


def _take_redis(backend, plan, block_names, *, now, refund, stop) -> Taken:
    keys = list(block_names)
    args: list[object] = [int(now), int(refund), int(stop), len(block_names), len(plan)]
    for counter, write, read in plan:
        keys += [write, *read]
        args += [counter.limit, counter.ttl, len(read)]
    found = _run(backend, FIXED_SCRIPT, keys, args)
    block = found[0].decode() if found[0] is not None else None
    if found[1] == -1:
        return Taken((), None, block)
    over = int(found[1]) - 1 if found[1] else None
    return Taken(tuple(int(n) for n in found[2:]), over, block)


def _take_cache(plan, block_names, *, now, refund, stop) -> Taken:
    reads = [name for _counter, _write, read in plan for name in read]
    values = cache.get_many([*block_names, *reads]) if block_names or reads else {}
    block = _active_block([values.get(name) for name in block_names], now)
    if block and stop:
        return Taken((), None, block)
    counts, written, over = [], [], None
    for i, (counter, write, read) in enumerate(plan):
        number = _cache_add(write, 1, ttl=counter.ttl)
        written.append((write, counter.ttl))
        number += sum(int(values.get(name) or 0) for name in read)
        counts.append(number)
        if over is None and number > counter.limit:
            over = i
    if stop and block is None and over is None and block_names:
        # A concurrent request may have started the block (and emptied the counts) between our
        # read and our increment: look once more, so no event slips past a fresh block.
        block = _active_block(list(cache.get_many(block_names).values()), now)
        if block:
            _undo(written)
            return Taken((), None, block)
    if over is not None and refund:
        _undo(written)
    return Taken(tuple(counts), over, block)


def _cache_add(name: str, delta: int, *, ttl: int) -> int:
    """Add ``delta`` to a count in a cache without Lua (a read, then a write). Not Django's
    ``incr``: on the database cache it writes the count back with the default timeout (300 s),
    so a window would forget its events after five minutes. A count taken back below nothing,
    or one that is gone, stays gone."""
    value = cache.get(name)
    if value is None and delta < 0:
        return 0
    number = int(value or 0) + delta
    if number > 0:
        cache.set(name, number, timeout=ttl)
    else:
        cache.delete(name)
    return number


def _undo(written: Iterable[tuple[str, int]]) -> None:
    for name, ttl in written:
        _cache_add(name, -1, ttl=ttl)


def _read_sum(groups: Sequence[Sequence[str]]) -> list[int]:
    """For each group of names, the sum of their counts (one round trip)."""
    flat = [name for group in groups for name in group]
    backend = redis_backend()
    if backend is not None:
        found = dict(zip(flat, _mget(backend, flat), strict=True))
    else:
        found = cache.get_many(flat)
    return [sum(int(found.get(name) or 0) for name in group) for group in groups]


def _delete(all_names: list[str]) -> None:
    backend = redis_backend()
    if backend is not None:
        backend.client().delete(*[backend.make_and_validate_key(name) for name in all_names])
    else:
        cache.delete_many(all_names)


# --- specs: "3/h,6/d" ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    count: int
    seconds: int


def parse(spec: str) -> list[Rule]:
    """``"3/h,10/5m"``: at most 3 an hour, 10 in five minutes; a bad spec raises ``ValueError``."""
    rules = []
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        count, _slash, period = part.partition("/")
        unit = period.strip()[-1:]
        amount = period.strip()[:-1] or "1"
        if unit not in PERIODS or not count.strip().isdigit() or not amount.isdigit():
            raise ValueError(f"bad rate limit {part!r}: write it like 3/h or 10/5m")
        rules.append(Rule(int(count), int(amount) * PERIODS[unit]))
    return rules


def _rules(scope: str, spec: str) -> list[Fixed]:
    return [Fixed(scope, seconds=rule.seconds, limit=rule.count) for rule in parse(spec)]


def hit(scope: str, subject: object, spec: str) -> int:
    """Count one event on every rule of ``spec``; 0 if within each, else the seconds until one
    more is allowed. Raises ``LimitStoreDown`` when the store does not answer."""
    rules = _rules(scope, spec)
    if not rules:
        return 0
    now = _now()
    with store(scope):
        taken = _take([(rule, subject) for rule in rules], now=now, refund=False)
    over = [
        rule.ends_in(now) for rule, n in zip(rules, taken.counts, strict=True) if n > rule.limit
    ]
    return max(over, default=0)


def peek(scope: str, subject: object, spec: str) -> int:
    """Like ``hit`` without counting: 0 if another event would be allowed now."""
    rules = _rules(scope, spec)
    now = _now()
    with store(scope):
        counts = _read_sum([rule._all_names(subject, now) for rule in rules]) if rules else []
    over = [rule.ends_in(now) for rule, n in zip(rules, counts, strict=True) if n >= rule.limit]
    return max(over, default=0)


# --- blocks -------------------------------------------------------------------------------------
def _active_block(values: Iterable[object], now: float) -> str | None:
    """A block is stored as "until|value" (epoch seconds); the portal's clock says when it ends."""
    for value in values:
        if isinstance(value, bytes):
            value = value.decode()
        if not isinstance(value, str) or "|" not in value:
            continue
        until, found = value.split("|", 1)
        if until.isdigit() and int(until) > now:
            return found
    return None


def _stored(value: str, until: datetime, now: float) -> tuple[str, int]:
    """A block as stored ("until|value"), and the seconds the store keeps it."""
    return f"{int(until.timestamp())}|{value}", max(1, int(until.timestamp() - now)) + 60


# KEYS[1] the block's name, KEYS[2..ARGV[3]+1] its earlier names, then the counts to clear.
# ARGV: now, the stored "until|value", how many block names, seconds it is kept.
CLAIM_SCRIPT = """
local now = tonumber(ARGV[1])
local nb = tonumber(ARGV[3])
for i = 1, nb do
  local v = redis.call('GET', KEYS[i])
  if v then
    local untl = string.match(v, '^(%d+)|')
    if untl and tonumber(untl) > now then return 0 end
  end
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
for i = nb + 1, #KEYS do redis.call('DEL', KEYS[i]) end
return 1
"""


@dataclass(frozen=True)
class Block:
    """A value (a lock's reference) kept for a subject until a given time."""

    scope: str

    def get(self, subject: object, *, on_down: str | None = None) -> str | None:
        with _guarded(self.scope, on_down) as down:
            all_names = names(self.scope, subject)
            backend = redis_backend()
            if backend is not None:
                values = _mget(backend, all_names)
            else:
                values = list(cache.get_many(all_names).values())
        return None if down[0] else _active_block(values, _now())

    def claim(
        self, subject: object, value: str, *, until: datetime, clears: Fixed | None = None
    ) -> bool:
        """Start the block unless one is on (one concurrent caller wins); ``clears``' counts of the
        subject start afresh."""
        now = _now()
        stored, seconds = _stored(value, until, now)
        all_names = names(self.scope, subject)
        counts = clears._all_names(subject, now) if clears else []
        with store(self.scope):
            backend = redis_backend()
            if backend is not None:
                args = [int(now), stored, len(all_names), seconds]
                return bool(_run(backend, CLAIM_SCRIPT, [*all_names, *counts], args))
            if not cache.add(all_names[0], stored, timeout=seconds):
                if _active_block(cache.get_many(all_names).values(), now):
                    return False
                cache.set(all_names[0], stored, timeout=seconds)  # a block that ran out
            elif _active_block(cache.get_many(all_names[1:]).values(), now):
                cache.delete(all_names[0])
                return False
            if counts:
                cache.delete_many(counts)
            return True

    def set(self, subject: object, value: str, *, until: datetime) -> None:
        """Change the value or the end of the subject's block."""
        stored, seconds = _stored(value, until, _now())
        name = names(self.scope, subject)[0]
        with store(self.scope):
            backend = redis_backend()
            if backend is not None:
                key = backend.make_and_validate_key(name)
                backend.client().set(key, stored, ex=seconds)
            else:
                cache.set(name, stored, timeout=seconds)

    def lift(self, subject: object, *, clears: Fixed | None = None) -> None:
        """End the block (under every key), and ``clears``' counts of the subject."""
        counts = clears._all_names(subject, _now()) if clears else []
        with store(self.scope):
            _delete([*names(self.scope, subject), *counts])


# --- rolling windows ----------------------------------------------------------------------------
# KEYS[1] the window counted in, KEYS[2..] earlier names read with it. ARGV: now, cutoff (events at
# or before it have left), ttl, a unique member, the most times kept.
ROLLING_HIT_SCRIPT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then redis.call('DEL', KEYS[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
local extra = redis.call('ZCARD', KEYS[1]) - tonumber(ARGV[5])
if extra > 0 then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, extra - 1) end
redis.call('EXPIRE', KEYS[1], ARGV[3])
local n = 0
for i = 1, #KEYS do
  if redis.call('TYPE', KEYS[i]).ok == 'zset' then
    n = n + redis.call('ZCOUNT', KEYS[i], '(' .. ARGV[2], '+inf')
  end
end
return n
"""

# KEYS: the window's names. ARGV: the cutoff, the limit. The events still in the window and, when
# they reach the limit, the time of the one whose leaving frees a place.
ROLLING_STATE_SCRIPT = """
local min = '(' .. ARGV[1]
local limit = tonumber(ARGV[2])
local n, times = 0, {}
for i = 1, #KEYS do
  if redis.call('TYPE', KEYS[i]).ok == 'zset' then
    local found = redis.call('ZRANGEBYSCORE', KEYS[i], min, '+inf', 'WITHSCORES')
    for j = 2, #found, 2 do times[#times + 1] = found[j] end
  end
end
n = #times
if n < limit then return {n} end
table.sort(times, function(a, b) return tonumber(a) < tonumber(b) end)
return {n, times[n - limit + 1]}
"""


@dataclass(frozen=True)
class Window:
    count: int
    retry_at: datetime | None  # when one more event would be allowed under ``limit``


@dataclass(frozen=True)
class Rolling:
    """The events of the last ``seconds``."""

    scope: str
    seconds: int

    def hit(self, subject: object) -> int:
        """Record one event now; returns the events in the window, this one included."""
        now = timezone.now()
        cutoff = (now - timedelta(seconds=self.seconds)).timestamp()
        all_names = names(self.scope, subject)
        with store(self.scope):
            backend = redis_backend()
            if backend is not None:
                args = [
                    now.timestamp(),
                    cutoff,
                    self.seconds + 60,
                    secrets.token_hex(8),
                    MAX_EVENTS,
                ]
                return int(_run(backend, ROLLING_HIT_SCRIPT, all_names, args))
            found = cache.get_many(all_names)
            times = _times(found.get(all_names[0]), cutoff)
            times.append(now.timestamp())
            cache.set(all_names[0], times[-MAX_EVENTS:], timeout=self.seconds + 60)
            return len(times) + sum(len(_times(found.get(n), cutoff)) for n in all_names[1:])

    def state(self, subject: object, *, limit: int) -> Window:
        now = timezone.now()
        cutoff = (now - timedelta(seconds=self.seconds)).timestamp()
        all_names = names(self.scope, subject)
        with store(self.scope):
            backend = redis_backend()
            if backend is not None:
                found = _run(backend, ROLLING_STATE_SCRIPT, all_names, [cutoff, limit])
                count = int(found[0])
                frees_at = float(found[1]) if len(found) > 1 else None
            else:
                stored = cache.get_many(all_names)
                times = sorted(t for n in all_names for t in _times(stored.get(n), cutoff))
                count = len(times)
                frees_at = times[count - limit] if count >= limit else None
        retry_at = None
        if frees_at is not None:
            retry_at = datetime.fromtimestamp(frees_at, tz=now.tzinfo) + timedelta(
                seconds=self.seconds
            )
        return Window(count=count, retry_at=retry_at)


def _times(value: object, cutoff: float) -> list[float]:
    if not isinstance(value, list):
        return []
    return [t for t in value if isinstance(t, float) and t > cutoff]


# --- streaks ------------------------------------------------------------------------------------
# KEYS[1] the streak counted in, KEYS[2..] earlier names read with it. ARGV: now, ttl (a streak
# idle that long starts again).
STREAK_SCRIPT = """
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then redis.call('DEL', KEYS[1]) end
local now, ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local count = 0
for i = 1, #KEYS do
  if redis.call('TYPE', KEYS[i]).ok == 'hash' then
    local last = tonumber(redis.call('HGET', KEYS[i], 't') or '0')
    if now - last < ttl then
      count = math.max(count, tonumber(redis.call('HGET', KEYS[i], 'n') or '0'))
    end
  end
end
count = count + 1
redis.call('HSET', KEYS[1], 'n', count, 't', ARGV[1])
redis.call('EXPIRE', KEYS[1], math.floor(ttl) + 60)
return count
"""


@dataclass(frozen=True)
class Streak:
    """Consecutive events; a streak idle for ``ttl`` seconds starts again."""

    scope: str
    ttl: int

    def add(self, subject: object) -> int:
        """Count one more; returns the streak's length, this one included."""
        now = _now()
        all_names = names(self.scope, subject)
        with store(self.scope):
            backend = redis_backend()
            if backend is not None:
                return int(_run(backend, STREAK_SCRIPT, all_names, [now, self.ttl]))
            count = 0
            for value in cache.get_many(all_names).values():
                if isinstance(value, tuple) and now - value[1] < self.ttl:
                    count = max(count, value[0])
            count += 1
            cache.set(all_names[0], (count, now), timeout=self.ttl + 60)
            return count

    def clear(self, subject: object) -> None:
        with store(self.scope):
            _delete(names(self.scope, subject))
