"""Messaging context processor: emails and SMS sent during maintenance mention it.

Registered in ``MESSAGING_CONTEXT_PROCESSORS``; messaging calls it with the recipient's language
active and puts ``maintenance_notices`` into every message's template context. The message
templates print it in a footer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone, translation

from notices.presenters import back_at_text, clock_time
from notices.selectors import notices_disruptive


@dataclass(frozen=True)
class MessageNotice:
    title: str
    message: str
    severity: str
    blocks_signin: bool
    until: str  # "14:00" in the portal's time zone
    when: str  # "expected back at 14:00 (in 25 minutes)"

    def __str__(self) -> str:
        return f"{self.title}: {self.when}"


def maintenance_context(*, kind: str, user: Any = None, language: str | None = None) -> dict:
    """``maintenance_notices``: the disruptive notices active now, in the recipient's language."""
    now = timezone.now()
    active = notices_disruptive(now=now)
    if not active:
        return {"maintenance_notices": []}
    with translation.override(language or translation.get_language()):
        items = [
            MessageNotice(
                title=n.title_in(language),
                message=n.message_in(language),
                severity=n.severity,
                blocks_signin=n.blocks_signin,
                until=clock_time(n.ends_at, now=now),
                when=back_at_text(n.ends_at, now=now),
            )
            for n in active
        ]
    return {"maintenance_notices": items}
