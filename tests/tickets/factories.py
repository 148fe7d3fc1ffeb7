from __future__ import annotations

import secrets

import factory
from django.utils import timezone

from tickets import sla
from tickets.models import ProblemSince, Ticket, TicketStatus
from tickets.services import status_token_for, token_hash


class TicketFactory(factory.django.DjangoModelFactory):
    """A ticket row as the intake service would write it (for queue and admin tests; the
    intake itself is tested through the public form)."""

    class Meta:
        model = Ticket

    reference = factory.Sequence(lambda n: f"UNL-2026-{n + 1:06d}")
    token_hash = factory.LazyFunction(
        lambda: token_hash(status_token_for(secrets.token_urlsafe(32)))
    )
    status = TicketStatus.NEW
    user = None
    username = factory.LazyAttribute(lambda t: t.user.username if t.user else "nobody.here")
    account_key = factory.LazyAttribute(lambda t: t.username.casefold())
    account_unknown = factory.LazyAttribute(lambda t: t.user is None)
    problem_since = ProblemSince.HOUR
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.LazyAttribute(lambda t: t.created_at)
    first_response_due = factory.LazyAttribute(lambda t: sla.first_response_due(t.created_at))
    resolution_due = factory.LazyAttribute(lambda t: sla.resolution_due(t.created_at))
    due_at = factory.LazyAttribute(lambda t: t.first_response_due)
