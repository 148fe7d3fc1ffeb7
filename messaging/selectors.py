"""Reads of the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from messaging.models import OutboxMessage


def outbox_for_user(*, user: Any, limit: int = 20) -> QuerySet[OutboxMessage]:
    """The latest messages sent to ``user`` (newest first), for the ticket timeline."""
    return OutboxMessage.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def outbox_recent(*, limit: int = 50, channel: str | None = None) -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.select_related("user").order_by("-created_at", "-id")
    if channel:
        qs = qs.filter(channel=channel)
    return qs[:limit]


# --- Delivery trouble, for the admin's filter and the agents' desk ----------------------------
def outbox_failed_since_q(*, since: datetime) -> Q:
    """Messages that ended ``failed`` (permanent error, or out of attempts) since ``since``."""
    return Q(status=OutboxMessage.Status.FAILED, updated_at__gte=since)


def outbox_retrying_q() -> Q:
    """Messages waiting for another attempt after a transient error."""
    return Q(status=OutboxMessage.Status.QUEUED, attempts__gt=0)


def outbox_trouble(*, q: Q) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(q)
