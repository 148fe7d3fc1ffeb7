"""Reads of the outbox."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from messaging.models import OutboxMessage


def outbox_for_user(*, user: Any, limit: int = 20) -> QuerySet[OutboxMessage]:
    """The latest messages sent to ``user`` (newest first), for the ticket timeline."""
    return OutboxMessage.objects.filter(user=user).order_by("-created_at", "-id")[:limit]


def outbox_recent(*, limit: int = 50, channel: str | None = None) -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.select_related("user").order_by("-created_at", "-id")
    if channel:
        qs = qs.filter(channel=channel)
    return qs[:limit]
