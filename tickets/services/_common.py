"""Helpers shared by the ticket services: locking, the status machine, timeline and audit rows."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.identifiers import identifier_canonical
from accounts.models import normalize_identifier
from audit.services import audit_record
from tickets import sla
from tickets.errors import TicketClosed, TicketError, TransitionNotAllowed
from tickets.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    EventKind,
    Ticket,
    TicketEvent,
    TicketStatus,
)

S = TicketStatus

# The status machine: which status each transition may start from.
ALLOWED_FROM: dict[str, tuple[str, ...]] = {
    "claim": (S.NEW, S.IN_PROGRESS, S.WAITING),
    "assign": (S.NEW, S.IN_PROGRESS, S.WAITING),
    "verify": (S.NEW, S.IN_PROGRESS, S.WAITING),
    "unlock": (S.NEW, S.IN_PROGRESS, S.WAITING),
    "approve": (S.APPROVAL,),
    "decline": (S.APPROVAL,),
    "reset": (S.NEW, S.IN_PROGRESS, S.WAITING),
    "pass": (S.NEW, S.IN_PROGRESS, S.WAITING),
    "ask_info": (S.NEW, S.IN_PROGRESS),
    "message": OPEN_STATUSES,
    "resolve": OPEN_STATUSES,
    "reject": OPEN_STATUSES,
    "reopen": CLOSED_STATUSES,
    "auto_resolve": OPEN_STATUSES,
    "reply": OPEN_STATUSES,
}


def lock_ticket(ticket: Ticket) -> Ticket:
    """The ticket's current row, locked for this transaction (PostgreSQL: ``FOR UPDATE``)."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("user", "assignee", "unlock_requested_by")
        .get(pk=ticket.pk)
    )


def guard(ticket: Ticket, transition: str) -> None:
    if ticket.status in ALLOWED_FROM[transition]:
        return
    if ticket.status in CLOSED_STATUSES:
        raise TicketClosed()
    raise TransitionNotAllowed()


def require_perm(agent: Any, perm: str) -> None:
    if not (agent and agent.is_active and agent.is_staff and agent.has_perm(perm)):
        raise TicketError(TicketError.default_message)


def record(
    ticket: Ticket,
    kind: str,
    *,
    actor: Any = None,
    public: bool = False,
    body: str = "",
    status_from: str = "",
    status_to: str = "",
    data: dict | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        created_at=timezone.now(),
        kind=kind,
        actor=actor if getattr(actor, "pk", None) else None,
        public=public,
        body=body,
        status_from=status_from,
        status_to=status_to,
        data=data or {},
    )


def audit(
    event: str,
    ticket: Ticket,
    *,
    actor: Any = None,
    request: HttpRequest | None = None,
    data: dict | None = None,
) -> None:
    audit_record(
        event=f"ticket.{event}",
        request=request,
        actor=actor,
        user=ticket.user,
        subject=ticket.username,
        data={"reference": ticket.reference, **(data or {})},
    )


def next_due(ticket: Ticket):
    if ticket.status in CLOSED_STATUSES or ticket.status == S.WAITING:
        return None
    if ticket.first_responded_at is None:
        return min(ticket.first_response_due, ticket.resolution_due)
    return ticket.resolution_due


def set_status(
    ticket: Ticket, new: str, *, actor: Any = None, note: str = "", data: dict | None = None
) -> TicketEvent:
    """Move ``ticket`` to ``new``: SLA bookkeeping, a public status line, save. No message."""
    now = timezone.now()
    old = ticket.status
    if old == S.WAITING and new != S.WAITING and ticket.sla_paused_at:
        # The clock stood still while we waited for the employee.
        paused = sla.business_minutes_between(ticket.sla_paused_at, now)
        ticket.resolution_due = sla.business_add(ticket.resolution_due, paused)
        ticket.sla_paused_at = None
    if new == S.WAITING:
        ticket.sla_paused_at = now
    if new in CLOSED_STATUSES:
        ticket.resolved_at = now
        ticket.resolved_by = actor if getattr(actor, "pk", None) else None
        ticket.sla_paused_at = None
    elif old in CLOSED_STATUSES:
        ticket.resolved_at = None
        ticket.resolved_by = None
        ticket.resolution = ""
        # A caller check belongs to one episode: whoever calls about the reopened request is
        # verified again before an unlock.
        ticket.verified_at = None
        ticket.verified_by = None
        ticket.verified_how = ""
        ticket.resolution_due = max(ticket.resolution_due, sla.resolution_due(now))
    ticket.status = new
    ticket.due_at = next_due(ticket)
    ticket.updated_at = now
    ticket.save()
    return record(
        ticket,
        EventKind.STATUS,
        actor=actor,
        public=True,
        body=note,
        status_from=old,
        status_to=new,
        data=data,
    )


def first_response(ticket: Ticket) -> None:
    """Stamp the first agent response (the SLA's first target) if not done yet."""
    if ticket.first_responded_at is None:
        ticket.first_responded_at = timezone.now()
        ticket.due_at = next_due(ticket)


def take_up(ticket: Ticket, agent: Any) -> None:
    """An agent acting on a new request takes it: assigned, in progress, first response."""
    if ticket.assignee_id is None:
        ticket.assignee = agent
    first_response(ticket)
    if ticket.status == S.NEW:
        set_status(ticket, S.IN_PROGRESS, actor=agent)
    else:
        ticket.updated_at = timezone.now()
        ticket.save()


def account_key_for(*, user: Any = None, typed: str = "") -> str:
    """The sign-in app's lock key (``signin.identity``): the account's username when known, else
    the canonical form of what was typed."""
    if getattr(user, "pk", None):
        return normalize_identifier(user.get_username())
    return identifier_canonical(typed)
