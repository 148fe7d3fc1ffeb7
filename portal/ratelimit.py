"""Fixed-window rate limits in the shared cache (Redis in production), never per process.

Specs read like ``"3/h,6/d"``: at most 3 per hour and 6 per day (``"5/60s"``, ``"10/5m"``...).
Keys are hashed, so the cache holds no typed username or IP in clear.

**A limit's store that does not answer** (Redis down, the database cache's table missing) is one
exception for every limiter of the portal: ``LimitStoreDown``, raised from the store's error by
``store()``. A limiter either lets it through, and the request ends with the translated 503 "try
again in a minute" page (``portal.middleware.LimitStoreDownMiddleware``: nothing was sent or
checked, the transaction is rolled back), or catches it where the database holds the real bound
and goes on uncounted (``store_down_logged``: one warning line). The README lists which is which.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache

from portal.limits import PERIODS, LimitStoreDown, store, store_down_logged  # noqa: F401


@dataclass(frozen=True)
class Rule:
    count: int
    seconds: int


def parse(spec: str) -> list[Rule]:
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


def _key(scope: str, key: str, rule: Rule, now: float) -> tuple[str, int]:
    digest = hashlib.sha256(f"{scope}\x00{key}".encode()).hexdigest()[:40]
    window = int(now // rule.seconds)
    expires_in = int((window + 1) * rule.seconds - now) + 1
    return f"rl:{scope}:{digest}:{rule.seconds}:{window}", expires_in


def hit(scope: str, key: str, spec: str) -> int:
    """Count one event for ``key``; 0 if within every rule, else the seconds until allowed.
    Raises ``LimitStoreDown`` when the cache does not answer."""
    rules = parse(spec)
    with store(f"rl:{scope}"):
        return _hit(scope, key, rules)


def _hit(scope: str, key: str, rules: list[Rule]) -> int:
    now = time.time()
    wait = 0
    for rule in rules:
        name, expires_in = _key(scope, key, rule, now)
        cache.add(name, 0, timeout=expires_in)
        try:
            used = cache.incr(name)
        except ValueError:  # expired between add and incr
            cache.set(name, 1, timeout=expires_in)
            used = 1
        if used > rule.count:
            wait = max(wait, expires_in)
    return wait


def peek(scope: str, key: str, spec: str) -> int:
    """Like ``hit`` without counting: 0 if another event would be allowed now."""
    rules = parse(spec)
    now = time.time()
    wait = 0
    with store(f"rl:{scope}"):
        for rule in rules:
            name, expires_in = _key(scope, key, rule, now)
            if (cache.get(name) or 0) >= rule.count:
                wait = max(wait, expires_in)
    return wait
