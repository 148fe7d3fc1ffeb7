"""Reads of the audit trail."""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent


def audit_events_for_user(*, user: Any, limit: int = 30) -> list[AuditEvent]:
    """The account's latest audit rows, newest first, with the acting agent (one query)."""
    return list(
        AuditEvent.objects.filter(user_id=user.pk)
        .select_related("actor")
        .order_by("-created_at", "-id")[:limit]
    )
