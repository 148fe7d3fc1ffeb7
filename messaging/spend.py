"""The spend and abuse guard of the paid and paced channels: what a message may spend.

An SMS goes only to a number in ``SMS_ALLOWED_REGIONS`` (SMS pumping costs real money), then
within caps per phone number (hour and day), per recipient account (day) and overall (the hour's
and the day's budget). Each cap is shared by priority (``messaging.kinds``): courtesy SMS stop at
``SMS_SHARE_COURTESY_PERCENT`` of it, security notices at ``SMS_SHARE_SECURITY_PERCENT``, codes
may fill it whole, so a flood of courtesy or security messages always leaves the last share to
codes. Every message but a code, on every channel, also counts on its account's notice cap for
the clock hour. The caps are fixed windows of ``portal.limits`` taken together, all or nothing, so
a refused send costs nothing against any of them.

A store that does not answer (``portal.limits.LimitStoreDown``, one warning line): a code's SMS
or messenger message is refused (``store_down``; the caller falls back to email at once, and a
code that came late would be no use), any other SMS or messenger message is ``deferred``: queued,
its caps counted before it is delivered (``messaging.delivery``), so nothing uncounted goes and
nothing is lost; an email goes uncounted.
"""

from __future__ import annotations

from dataclasses import dataclass

from messaging import conf
from messaging.kinds import Priority
from messaging.messengers import PERSON_CHANNELS
from messaging.messengers.ids import messenger_caps
from messaging.recipients import sms_allowed_region
from portal import limits

HOUR, DAY = 3600, 86400
NOTICE_CAP = "account_notices_hour"
STORE_DOWN = "store_down"
DEFERRED = "deferred"  # not a refusal: counted when it is delivered (messaging.delivery)
# The SMS caps, by the reason given when one is full: (scope, its setting, window, counted per).
SMS_CAPS = {
    "number_hour": ("messaging:sms-number-hour", "SMS_CAP_PER_NUMBER_HOUR", HOUR, "phone"),
    "number_day": ("messaging:sms-number-day", "SMS_CAP_PER_NUMBER_DAY", DAY, "phone"),
    "account_day": ("messaging:sms-account-day", "SMS_CAP_PER_ACCOUNT_DAY", DAY, "account"),
    "budget_hour": ("messaging:sms-budget-hour", "SMS_BUDGET_HOUR", HOUR, "all"),
    "budget_day": ("messaging:sms-budget-day", "SMS_BUDGET_DAY", DAY, "all"),
}
NOTICES_SCOPE = "messaging:notices-hour"  # counted per account and channel


@dataclass(frozen=True)
class Refusal:
    # region, a reason of SMS_CAPS, store_down (a code's SMS caps), deferred (any other
    # message's) or account_notices_hour
    reason: str
    limit: int | None = None

    @property
    def notice_capped(self) -> bool:
        return self.reason == NOTICE_CAP


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


def message_spend(
    *, channel: str, address: str, user_id: int | None, priority: Priority
) -> Refusal | None:
    """Count one message of ``priority`` to ``address`` (an E.164 number for ``sms``) for the
    account ``user_id``; ``None`` if allowed, else why not (and nothing counted). The notice cap
    is checked first, so a notice over it is reported as such even when an SMS cap is full too."""
    caps: list[tuple[limits.Fixed, object, str]] = []
    if user_id is not None and priority != Priority.CODE:
        setting = (
            "MESSAGING_COURTESY_PER_ACCOUNT_HOUR"
            if priority == Priority.COURTESY
            else "MESSAGING_NOTICES_PER_ACCOUNT_HOUR"
        )
        notices = limits.Fixed(NOTICES_SCOPE, seconds=HOUR, limit=conf.get(setting))
        caps.append((notices, f"{user_id}:{channel}", NOTICE_CAP))
    if channel in PERSON_CHANNELS:
        caps += [
            (limits.Fixed(scope, seconds=seconds, limit=share(limit, priority)), subject, reason)
            for scope, seconds, limit, subject, reason in messenger_caps(
                channel=channel, address=address, user_id=user_id
            )
        ]
    if channel == "sms":
        if not sms_allowed_region(address):
            return Refusal("region")
        subjects = {"phone": address, "account": user_id, "all": "all"}
        for reason, (scope, setting, seconds, per) in SMS_CAPS.items():
            if subjects[per] is not None:
                limit = share(conf.get(setting), priority)
                caps.append(
                    (limits.Fixed(scope, seconds=seconds, limit=limit), subjects[per], reason)
                )
    if not caps:
        return None
    try:
        taken = limits.take([(cap, subject) for cap, subject, _reason in caps])
    except limits.LimitStoreDown as exc:
        if channel == "sms" or channel in PERSON_CHANNELS:
            what = "SMS" if channel == "sms" else f"{channel} message"
            if priority == Priority.CODE:
                limits.store_down_logged(exc, outcome=f"the {what} is refused")
                return Refusal(STORE_DOWN)
            limits.store_down_logged(exc, outcome=f"the {what} waits to be counted")
            return Refusal(DEFERRED)
        limits.store_down_logged(exc, outcome=f"the {channel} goes uncounted")
        return None
    if taken.over is None:
        return None
    cap, _subject, reason = caps[taken.over]
    return Refusal(reason, cap.limit)
