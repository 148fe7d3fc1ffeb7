"""What the helpdesk group's robot hears about unlock requests (``messaging.services.
robots_notify``; docs/messengers.md): a new request as it is filed (written in the request's own
transaction, delivered after commit), and a request past its SLA (``robots_sla_sweep``, every
minute by beat). The message carries the reference, the waiting time, the username typed and a
link to the ticket's admin page: no other personal data."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from messaging.services import robots_notify
from tickets.models import Ticket

SWEEP_LOOKBACK = timedelta(days=1)  # a breach older than this was announced or is moot


def _context(ticket: Ticket, now: datetime) -> dict:
    path = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    return {
        "reference": ticket.reference,
        "username": ticket.username,
        "waiting_minutes": max(0, int((now - ticket.created_at).total_seconds() // 60)),
        "url": settings.PORTAL_BASE_URL.rstrip("/") + path,
    }


def robots_ticket_new(*, ticket: Ticket) -> int:
    """Tell the robots that receive new unlock requests; returns how many were queued."""
    queued = robots_notify(
        kind="robot_unlock_request",
        context=_context(ticket, timezone.now()),
        key=f"ticket:{ticket.pk}:new",
    )
    return len(queued)


def robots_sla_sweep(*, now: datetime | None = None) -> int:
    """Announce each open request whose deadline passed (once per deadline)."""
    now = now or timezone.now()
    late = Ticket.objects.filter(due_at__lte=now, due_at__gte=now - SWEEP_LOOKBACK).order_by(
        "due_at"
    )
    queued = 0
    for ticket in late[:200]:
        stamp = int(ticket.due_at.timestamp())
        queued += len(
            robots_notify(
                kind="robot_sla_breach",
                context=_context(ticket, now),
                key=f"ticket:{ticket.pk}:sla:{stamp}",
            )
        )
    return queued
