"""Writing the audit trail. Call inside the transaction of the change being audited."""

from __future__ import annotations

import re
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from audit.models import AuditEvent
from portal.net import client_ip, user_agent

EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
FORBIDDEN_KEYS = {"password", "code", "token", "secret", "otp", "new_password1", "new_password2"}


def audit_record(*, event: str, **fields: Any) -> AuditEvent:
    """Write one audit row: ``audit_build``'s row (same keyword arguments: ``request`` fills IP
    and browser unless given explicitly), inserted."""
    row = audit_build(event=event, **fields)
    row.save(force_insert=True)
    return row


def audit_build(
    *,
    event: str,
    request: HttpRequest | None = None,
    actor: Any = None,
    user: Any = None,
    subject: str = "",
    ip: str | None = None,
    ua: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    """The audit row ``audit_record`` writes, checked and filled but unsaved, for a caller that
    sends it together with other writes (the sign-in's records, ``portal.db``).

    The actor and the account are set by id, never as objects: a row about an account is then
    built with the same work as a row about a name without one (a related object would be
    checked, routed and cached first), so a refusal's or a failure's timing tells nothing."""
    if not EVENT_NAME.match(event):
        raise ValueError(f"audit event names are dotted lower-case words, not {event!r}")
    data = dict(data or {})
    leaked = FORBIDDEN_KEYS.intersection(k.lower() for k in data)
    if leaked:
        raise ValueError(f"audit data must never hold secrets ({', '.join(sorted(leaked))})")
    if request is not None:
        ip = ip or client_ip(request)
        ua = ua if ua is not None else user_agent(request)
        if actor is None and getattr(request, "user", None) is not None:
            actor = request.user if request.user.is_authenticated else None
    clean_subject = "".join(ch for ch in (subject or "") if ch.isprintable())[:150]
    return AuditEvent(
        created_at=timezone.now(),
        event=event,
        actor_id=getattr(actor, "pk", None),
        user_id=getattr(user, "pk", None),
        subject=clean_subject,
        ip=ip,
        user_agent=(ua or "")[:255],
        data=data,
    )
