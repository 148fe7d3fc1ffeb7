"""Counters for caps and blocks, kept in the shared cache (Redis in production).

Every counter stores the event times in its value and compares them with ``timezone.now()``, so a
cap means "at most N in any rolling window" and tests move time with the fake clock even when the
cache is Redis (whose own expiry follows the real clock; it only cleans up). Keys are built from
keyed hashes, never from what a user typed.

Two requests racing on the same key may both pass the last free slot (get, then set): a cap can be
overshot by the number of simultaneous requests, never more. Exact, once-only decisions (a code's
tries, its single use) are made on database rows under ``select_for_update`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

PREFIX = "accounts:rl"


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


def window_state(key: str, *, limit: int, window: int) -> Window:
    now = timezone.now()
    times = sorted(_times(key, window, now))
    retry_at = None
    if len(times) >= limit:
        oldest_that_matters = times[len(times) - limit]
        retry_at = datetime.fromtimestamp(oldest_that_matters, tz=now.tzinfo) + timedelta(
            seconds=window
        )
    return Window(count=len(times), retry_at=retry_at)


def window_hit(key: str, *, window: int) -> int:
    """Record one event now; returns the events in the window, this one included."""
    now = timezone.now()
    times = _times(key, window, now)
    times.append(now.timestamp())
    cache.set(key, times[-500:], timeout=window + 60)
    return len(times)


def streak_add(key: str, *, ttl: int) -> int:
    """Count one more consecutive event (a wrong code); a streak older than ``ttl`` restarts."""
    now = timezone.now()
    value = cache.get(key)
    count = 0
    if value and now.timestamp() - value[1] < ttl:
        count = value[0]
    count += 1
    cache.set(key, (count, now.timestamp()), timeout=ttl + 60)
    return count


def streak_clear(key: str) -> None:
    cache.delete(key)
