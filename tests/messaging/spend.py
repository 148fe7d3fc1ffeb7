"""What the SMS caps have counted, read through ``portal.limits`` (the tests' view only)."""

from __future__ import annotations

from messaging.spend import SMS_CAPS
from portal import limits


def sms_usage(*, phone: str | None = None, user_id: int | None = None) -> dict[str, int]:
    """The current count of each SMS cap, by its reason."""
    subjects = {"phone": phone or "", "account": user_id, "all": "all"}
    return {
        reason: limits.Fixed(scope, seconds=seconds, limit=0).count(subjects[per])
        for reason, (scope, _setting, seconds, per) in SMS_CAPS.items()
        if subjects[per] is not None
    }
