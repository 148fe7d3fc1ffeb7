"""The outbox's guards: the SMS spend and abuse guard (SMS pumping costs real money) and the
per-account notice cap.

Before an SMS is queued: the number's region must be in ``SMS_ALLOWED_REGIONS``; then fixed-window
counters in the shared cache (Redis in production, never per process) cap sends per phone number
(hour and day), per recipient account (day) and overall (hour and day budget). Each cap is shared
by priority (``messaging.kinds``): courtesy SMS stop at ``SMS_SHARE_COURTESY_PERCENT`` of it,
security notices at ``SMS_SHARE_SECURITY_PERCENT``, codes may fill it whole, so a flood of
courtesy or security messages always leaves the last share to codes.

Every message but a code, on every channel, also counts on its account's notice counter for the
clock hour: ``MESSAGING_NOTICES_PER_ACCOUNT_HOUR`` per channel, of which courtesy notices may
fill ``MESSAGING_COURTESY_PER_ACCOUNT_HOUR``.

Counters are incremented atomically first and rolled back when any cap is exceeded, so a refused
send costs nothing against any of them. Keys hold a hash of the number, never the number itself.

A cache that does not answer (``portal.ratelimit.LimitStoreDown``, one warning line): an SMS is
refused (``store_down``; it costs money, so nothing uncounted goes), an email goes uncounted.
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
from messaging.kinds import Priority
from messaging.recipients import phone_region
from portal.cache import redis_backend
from portal.ratelimit import LimitStoreDown, store, store_down_logged

HOUR = 3600
DAY = 86400


NOTICE_CAP = "account_notices_hour"
STORE_DOWN = "store_down"
# (cache key, limit for this message's priority, window in seconds, reason when exceeded)
Spec = tuple[str, int, int, str]


@dataclass(frozen=True)
class Refusal:
    # region, number_hour, number_day, account_day, budget_hour, budget_day (the SMS guard) or
    # account_notices_hour (the notice cap)
    reason: str
    limit: int | None = None

    @property
    def notice_capped(self) -> bool:
        return self.reason == NOTICE_CAP


def _digest(value: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{value}".encode()).hexdigest()[:24]


def share(cap: int, priority: Priority) -> int:
    """How much of an SMS cap a message of ``priority`` may fill (rounded down)."""
    if priority == Priority.CODE:
        return cap
    name = (
        "SMS_SHARE_SECURITY_PERCENT"
        if priority == Priority.SECURITY
        else "SMS_SHARE_COURTESY_PERCENT"
    )
    return cap * int(conf.get(name)) // 100


def _counters(
    *, phone: str, user_id: int | None, now: float, priority: Priority = Priority.CODE
) -> list[Spec]:
    hour, day = int(now // HOUR), int(now // DAY)
    number = _digest(phone)
    caps = [
        (f"msg:sms:n:{number}:h:{hour}", "SMS_CAP_PER_NUMBER_HOUR", HOUR, "number_hour"),
        (f"msg:sms:n:{number}:d:{day}", "SMS_CAP_PER_NUMBER_DAY", DAY, "number_day"),
    ]
    if user_id is not None:
        caps.append((f"msg:sms:a:{user_id}:d:{day}", "SMS_CAP_PER_ACCOUNT_DAY", DAY, "account_day"))
    caps += [
        (f"msg:sms:all:h:{hour}", "SMS_BUDGET_HOUR", HOUR, "budget_hour"),
        (f"msg:sms:all:d:{day}", "SMS_BUDGET_DAY", DAY, "budget_day"),
    ]
    return [(key, share(conf.get(name), priority), ttl, reason) for key, name, ttl, reason in caps]


def _notice_counter(*, user_id: int, channel: str, now: float, priority: Priority) -> Spec:
    limit = conf.get(
        "MESSAGING_COURTESY_PER_ACCOUNT_HOUR"
        if priority == Priority.COURTESY
        else "MESSAGING_NOTICES_PER_ACCOUNT_HOUR"
    )
    return (f"msg:notice:a:{user_id}:{channel}:h:{int(now // HOUR)}", limit, HOUR, NOTICE_CAP)


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


def message_spend(
    *, channel: str, address: str, user_id: int | None, priority: Priority
) -> Refusal | None:
    """Count one message of ``priority`` to ``address`` (an E.164 number for ``sms``) for the
    account ``user_id``; ``None`` if allowed, else why not (and nothing counted). The notice cap
    is checked first, so a notice over it is reported as such even when an SMS cap is full too."""
    now = time.time()
    specs: list[Spec] = []
    if user_id is not None and priority != Priority.CODE:
        specs.append(_notice_counter(user_id=user_id, channel=channel, now=now, priority=priority))
    if channel == "sms":
        if not sms_allowed_region(address):
            return Refusal("region")
        specs += _counters(phone=address, user_id=user_id, now=now, priority=priority)
    if not specs:
        return None
    try:
        with store("messaging:spend"):
            return _spend(specs)
    except LimitStoreDown as exc:
        if channel == "sms":
            store_down_logged(exc, outcome="the SMS is refused")
            return Refusal(STORE_DOWN)
        store_down_logged(exc, outcome=f"the {channel} goes uncounted")
        return None


def _spend(specs: list[Spec]) -> Refusal | None:
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


def notice_usage(*, user_id: int, channel: str) -> int:
    """Notices counted for the account on ``channel`` this hour (for the admin and tests)."""
    key, *_rest = _notice_counter(
        user_id=user_id, channel=channel, now=time.time(), priority=Priority.SECURITY
    )
    return cache.get(key, 0)
