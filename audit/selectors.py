from __future__ import annotations

from django.db.models import QuerySet

from audit.models import AuditEvent


def audit_events_for_user(*, user, limit: int = 50, prefix: str = "") -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(user=user)
    if prefix:
        qs = qs.filter(event__startswith=prefix)
    return qs.select_related("actor")[:limit]
