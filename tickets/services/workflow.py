"""Agent transitions that do not touch the account: claim, assign, ask, message, resolve,
reject, reopen. Each checks the current status first and raises a ``TicketError`` otherwise."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.errors import TicketError
from tickets.models import EventKind, Resolution, Ticket, TicketStatus
from tickets.services import _common as c
from tickets.services import notify

S = TicketStatus
CHANGE = "tickets.change_ticket"


def agent_can_handle(user: Any) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perm(CHANGE))


@transaction.atomic
def ticket_claim(*, ticket: Ticket, agent: Any) -> Ticket:
    """The agent takes the request (from whoever had it)."""
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "claim")
    if ticket.assignee_id == agent.pk:
        raise TicketError(_("This request is already yours."))
    previous = _hand_over(ticket, agent=agent, assignee=agent)
    c.audit("claimed", ticket, actor=agent, data={"from": previous})
    return ticket


@transaction.atomic
def ticket_assign(*, ticket: Ticket, agent: Any, assignee: Any) -> Ticket:
    """Hand the request to another agent (who must be able to handle tickets)."""
    c.require_perm(agent, CHANGE)
    if not agent_can_handle(assignee):
        raise TicketError(_("%(name)s cannot handle unlock requests.") % {"name": assignee})
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "assign")
    if ticket.assignee_id == assignee.pk:
        raise TicketError(_("This request is already assigned to %(name)s.") % {"name": assignee})
    _hand_over(ticket, agent=agent, assignee=assignee)
    c.audit("assigned", ticket, actor=agent, data={"to": assignee.username})
    return ticket


def _hand_over(ticket: Ticket, *, agent: Any, assignee: Any) -> str:
    """Give the request to ``assignee`` (a first response; a new request is now in progress and
    the employee is told). Returns who had it before ("" for nobody)."""
    previous = ticket.assignee.username if ticket.assignee else ""
    ticket.assignee = assignee
    c.first_response(ticket)
    c.record(
        ticket, EventKind.ASSIGNED, actor=agent, data={"to": assignee.username, "from": previous}
    )
    if ticket.status == S.NEW:
        c.set_status(ticket, S.IN_PROGRESS, actor=agent)
        notify.update(ticket)
    else:
        ticket.updated_at = timezone.now()
        ticket.save()
    return previous


@transaction.atomic
def ticket_ask_info(*, ticket: Ticket, agent: Any, message: str) -> Ticket:
    """Ask the employee something; the request waits (SLA paused) until they reply."""
    c.require_perm(agent, CHANGE)
    message = (message or "").strip()
    if not message:
        raise TicketError(_("Write the question for the employee."))
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "ask_info")
    if ticket.assignee_id is None:
        ticket.assignee = agent
    c.first_response(ticket)
    c.record(ticket, EventKind.MESSAGE, actor=agent, public=True, body=message)
    c.set_status(ticket, S.WAITING, actor=agent)
    notify.update(ticket, note=message, event="info")
    c.audit("info_requested", ticket, actor=agent)
    return ticket


@transaction.atomic
def ticket_message(*, ticket: Ticket, agent: Any, body: str, public: bool) -> Ticket:
    """Add a message for the employee (``public``) or an internal note for agents. Notes are
    allowed on closed requests too; messages only while the request is open."""
    c.require_perm(agent, CHANGE)
    body = (body or "").strip()
    if not body:
        raise TicketError(_("The message is empty."))
    ticket = c.lock_ticket(ticket)
    if public:
        c.guard(ticket, "message")
        c.first_response(ticket)
    c.record(
        ticket,
        EventKind.MESSAGE if public else EventKind.NOTE,
        actor=agent,
        public=public,
        body=body,
    )
    ticket.updated_at = timezone.now()
    ticket.save()
    if public:
        notify.update(ticket, note=body, event="message")
    c.audit("message_shared" if public else "note_added", ticket, actor=agent)
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, agent: Any, note: str = "") -> Ticket:
    """Close the request as solved (``note``, if any, is shown to the employee)."""
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "resolve")
    note = (note or "").strip()
    c.first_response(ticket)
    _clear_unlock_request(ticket)
    ticket.assignee = ticket.assignee or agent
    ticket.resolution = Resolution.SOLVED
    c.set_status(ticket, S.RESOLVED, actor=agent, note=note)
    notify.update(ticket, note=note)
    c.audit("resolved", ticket, actor=agent)
    return ticket


@transaction.atomic
def ticket_reject(*, ticket: Ticket, agent: Any, reason: str) -> Ticket:
    """Close the request without doing it; the employee is told why."""
    c.require_perm(agent, CHANGE)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise TicketError(_("Write the reason the employee will read (at least 5 characters)."))
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "reject")
    c.first_response(ticket)
    _clear_unlock_request(ticket)
    ticket.assignee = ticket.assignee or agent
    ticket.resolution = Resolution.REJECTED
    c.set_status(ticket, S.REJECTED, actor=agent, note=reason)
    notify.update(ticket, note=reason)
    c.audit("rejected", ticket, actor=agent, data={"reason": reason[:500]})
    return ticket


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, agent: Any, note: str = "") -> Ticket:
    """Open a closed request again; it goes to the agent reopening it unless assigned."""
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "reopen")
    if ticket.assignee_id is None:
        ticket.assignee = agent
    c.set_status(ticket, S.IN_PROGRESS, actor=agent, note=(note or "").strip())
    notify.update(ticket, note=(note or "").strip())
    c.audit("reopened", ticket, actor=agent, data={"automatic": False})
    return ticket


def _clear_unlock_request(ticket: Ticket) -> None:
    ticket.unlock_requested_by = None
    ticket.unlock_requested_at = None
