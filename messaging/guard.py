"""The SMS spend and abuse guard (SMS pumping costs real money).

Before an SMS is queued: the number's region must be in ``SMS_ALLOWED_REGIONS``; then fixed-window
counters in the shared cache (Redis in production, never per process) cap sends per phone number
(hour and day), per recipient account (day) and overall (hour and day budget). Counters are
incremented atomically first and rolled back when any cap is exceeded, so a refused send costs
nothing against the budget. Keys hold a hash of the number, never the number itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.cache import cache

from messaging import conf
from messaging.recipients import phone_region
from portal.cache import redis_backend

HOUR = 3600
DAY = 86400


@dataclass(frozen=True)
class Refusal:
    reason: str  # region, number_hour, number_day, account_day, budget_hour, budget_day
    limit: int | None = None


def _digest(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:24]


def _counters(*, phone: str, user_id: int | None, now: float) -> list[tuple[str, int, int, str]]:
    hour, day = int(now // HOUR), int(now // DAY)
    number = _digest(phone)
    specs = [
        (f"msg:sms:n:{number}:h:{hour}", conf.get("SMS_CAP_PER_NUMBER_HOUR"), HOUR, "number_hour"),
        (f"msg:sms:n:{number}:d:{day}", conf.get("SMS_CAP_PER_NUMBER_DAY"), DAY, "number_day"),
    ]
    if user_id is not None:
        specs.append(
            (
                f"msg:sms:a:{user_id}:d:{day}",
                conf.get("SMS_CAP_PER_ACCOUNT_DAY"),
                DAY,
                "account_day",
            )
        )
    specs += [
        (f"msg:sms:all:h:{hour}", conf.get("SMS_BUDGET_HOUR"), HOUR, "budget_hour"),
        (f"msg:sms:all:d:{day}", conf.get("SMS_BUDGET_DAY"), DAY, "budget_day"),
    ]
    return specs


def _incr(key: str, ttl: int) -> int:
    cache.add(key, 0, ttl + 60)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 0, ttl + 60)
        return cache.incr(key)


def sms_allowed_region(phone: str) -> bool:
    """May text messages go to this number (E.164)? Unreadable numbers may not."""
    allowed = {r.upper() for r in conf.get("SMS_ALLOWED_REGIONS")}
    try:
        region = phone_region(str(phone))
    except phonenumbers.NumberParseException:
        return False
    return bool(region) and region.upper() in allowed


def _spend_redis(backend, specs) -> Refusal | None:
    """All counters in one round trip (SET NX EX keeps the window's expiry; INCR counts)."""
    keys = [backend.make_and_validate_key(key) for key, *_rest in specs]
    client = backend.client()
    pipe = client.pipeline(transaction=False)
    for key, (_k, _limit, ttl, _reason) in zip(keys, specs, strict=True):
        pipe.set(key, 0, ex=ttl + 60, nx=True)
        pipe.incr(key)
    counts = pipe.execute()[1::2]
    for count, (_key, limit, _ttl, reason) in zip(counts, specs, strict=True):
        if count > limit:
            undo = client.pipeline(transaction=False)
            for key in keys:
                undo.decr(key)
            undo.execute()
            return Refusal(reason, limit)
    return None


def sms_spend(*, phone: str, user_id: int | None) -> Refusal | None:
    """Count one SMS to ``phone``; ``None`` if allowed, else why not (and nothing counted)."""
    if not sms_allowed_region(phone):
        return Refusal("region")
    specs = _counters(phone=phone, user_id=user_id, now=time.time())
    backend = redis_backend()
    if backend is not None:
        return _spend_redis(backend, specs)
    taken: list[str] = []
    for key, limit, ttl, reason in specs:
        count = _incr(key, ttl)
        taken.append(key)
        if count > limit:
            for done in taken:
                with contextlib.suppress(ValueError):
                    cache.decr(done)
            return Refusal(reason, limit)
    return None


def sms_usage(*, phone: str | None = None, user_id: int | None = None) -> dict[str, int]:
    """Current counts (for the admin and tests)."""
    now = time.time()
    specs = _counters(phone=phone or "", user_id=user_id, now=now)
    return {reason: cache.get(key, 0) for key, _limit, _ttl, reason in specs}
