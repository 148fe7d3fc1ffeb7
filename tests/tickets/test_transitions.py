"""Every agent transition of a request, and the refused ones, through the services."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.tickets.conftest import at, new_ticket
from tickets.errors import TicketClosed, TicketError, TransitionNotAllowed
from tickets.models import EventKind, Resolution, TicketStatus
from tickets.services import (
    ticket_ask_info,
    ticket_assign,
    ticket_claim,
    ticket_message,
    ticket_reject,
    ticket_reopen,
    ticket_reply,
    ticket_resolve,
)

S = TicketStatus


def _audited(event: str) -> int:
    return AuditEvent.objects.filter(event=event).count()


def test_claim_takes_a_new_request_and_answers_first(ticket, agent, clock):
    clock.advance(minutes=5)
    ticket = ticket_claim(ticket=ticket, agent=agent)
    assert ticket.status == S.IN_PROGRESS
    assert ticket.assignee == agent
    assert ticket.first_responded_at == clock.now()
    assert ticket.due_at == ticket.resolution_due
    assert _audited("ticket.claimed") == 1


def test_claim_refused_when_already_yours_or_closed(ticket, agent):
    ticket_claim(ticket=ticket, agent=agent)
    with pytest.raises(TicketError, match="already yours"):
        ticket_claim(ticket=ticket, agent=agent)
    ticket_resolve(ticket=ticket, agent=agent)
    with pytest.raises(TicketClosed):
        ticket_claim(ticket=ticket, agent=agent)


def test_claim_takes_over_from_another_agent(ticket, agent, agent2):
    ticket_claim(ticket=ticket, agent=agent)
    ticket = ticket_claim(ticket=ticket, agent=agent2)
    assert ticket.assignee == agent2
    assert ticket.events.filter(kind=EventKind.ASSIGNED).last().data == {
        "to": agent2.username,
        "from": agent.username,
    }


def test_assign_to_an_agent_only(ticket, agent, agent2, employee):
    ticket = ticket_assign(ticket=ticket, agent=agent, assignee=agent2)
    assert (ticket.assignee, ticket.status) == (agent2, S.IN_PROGRESS)
    with pytest.raises(TicketError, match="cannot handle"):
        ticket_assign(ticket=ticket, agent=agent, assignee=employee)
    with pytest.raises(TicketError, match="already assigned"):
        ticket_assign(ticket=ticket, agent=agent, assignee=agent2)


def test_a_non_agent_can_do_nothing(ticket):
    outsider = UserFactory(is_staff=True)
    for call in (
        lambda: ticket_claim(ticket=ticket, agent=outsider),
        lambda: ticket_resolve(ticket=ticket, agent=outsider),
        lambda: ticket_message(ticket=ticket, agent=outsider, body="hi", public=True),
    ):
        with pytest.raises(TicketError):
            call()
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_ask_for_info_waits_for_the_employee_with_the_sla_paused(
    clock, ticket, agent, django_capture_on_commit_callbacks
):
    assert ticket.resolution_due == at(13)  # 4 business hours after 09:00
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_ask_info(ticket=ticket, agent=agent, message="Which browser do you use?")
    assert ticket.status == S.WAITING
    assert ticket.due_at is None and ticket.sla_paused_at == clock.now()
    assert "Which browser do you use?" in mail.outbox[-1].body
    clock.advance(hours=2)  # two business hours on a Tuesday morning
    ticket = ticket_reply(ticket=ticket, body="Chrome on Windows")
    assert ticket.status == S.IN_PROGRESS  # back to its agent
    assert ticket.resolution_due == at(15)  # moved by the two hours spent waiting
    assert ticket.due_at == ticket.resolution_due


def test_ask_for_info_refused_while_waiting_or_closed(ticket, agent):
    ticket_ask_info(ticket=ticket, agent=agent, message="Which browser?")
    with pytest.raises(TransitionNotAllowed):
        ticket_ask_info(ticket=ticket, agent=agent, message="And which version?")
    with pytest.raises(TicketError, match="Write the question"):
        ticket_ask_info(ticket=new_ticket(), agent=agent, message="   ")


def test_messages_and_notes(ticket, agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_message(
            ticket=ticket, agent=agent, body="Internal: caller sounded fine", public=False
        )
    assert mail.outbox == []  # a note is for agents only
    with django_capture_on_commit_callbacks(execute=True):
        ticket_message(ticket=ticket, agent=agent, body="We are on it.", public=True)
    assert "We are on it." in mail.outbox[-1].body
    kinds = list(ticket.events.values_list("kind", "public"))
    assert (EventKind.NOTE, False) in kinds and (EventKind.MESSAGE, True) in kinds
    ticket_resolve(ticket=ticket, agent=agent)
    ticket_message(ticket=ticket, agent=agent, body="closing remark", public=False)  # allowed
    with pytest.raises(TicketClosed):
        ticket_message(ticket=ticket, agent=agent, body="too late", public=True)


def test_resolve_from_each_open_status(agent, employee):
    for status in (S.NEW, S.IN_PROGRESS, S.WAITING, S.APPROVAL):
        ticket = new_ticket()
        ticket.status = status
        ticket.save()
        ticket = ticket_resolve(ticket=ticket, agent=agent, note="Solved on the phone.")
        assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.SOLVED)
        assert ticket.resolved_at is not None and ticket.resolved_by == agent
        assert ticket.due_at is None
    with pytest.raises(TicketClosed):
        ticket_resolve(ticket=ticket, agent=agent)


def test_reject_needs_a_reason_the_employee_reads(
    ticket, agent, django_capture_on_commit_callbacks
):
    with pytest.raises(TicketError, match="reason"):
        ticket_reject(ticket=ticket, agent=agent, reason=" no ")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_reject(ticket=ticket, agent=agent, reason="This is not your account.")
    assert (ticket.status, ticket.resolution) == (S.REJECTED, Resolution.REJECTED)
    assert "This is not your account." in mail.outbox[-1].body
    assert AuditEvent.objects.get(event="ticket.rejected").data["reason"].startswith("This is")
    with pytest.raises(TicketClosed):
        ticket_reject(ticket=ticket, agent=agent, reason="Again, no.")


def test_reopen_only_closed_requests(ticket, agent, agent2, clock):
    with pytest.raises(TransitionNotAllowed):
        ticket_reopen(ticket=ticket, agent=agent)
    ticket_resolve(ticket=ticket, agent=agent)
    clock.advance(days=1)
    ticket = ticket_reopen(ticket=ticket, agent=agent2, note="She called again.")
    assert ticket.status == S.IN_PROGRESS
    assert ticket.assignee == agent  # the agent who resolved it keeps it
    assert ticket.resolution == "" and ticket.resolved_at is None
    assert ticket.resolution_due > clock.now()
    assert _audited("ticket.reopened") == 1


def test_a_reopened_request_needs_the_caller_verified_again(ticket, agent, clock):
    from django.utils import timezone

    ticket.verified_by, ticket.verified_at, ticket.verified_how = agent, timezone.now(), "sms"
    ticket.save()
    ticket_resolve(ticket=ticket, agent=agent)
    clock.advance(hours=2)
    ticket = ticket_reopen(ticket=ticket, agent=agent, note="Locked again, she says.")
    assert not ticket.is_verified
    assert ticket.verified_by is None and ticket.verified_how == ""


def test_reply_refused_on_closed_requests(ticket, agent):
    ticket_reject(ticket=ticket, agent=agent, reason="Duplicate of another request.")
    with pytest.raises(TicketClosed):
        ticket_reply(ticket=ticket, body="but why?")


def test_every_transition_writes_one_audit_row_with_the_reference(ticket, agent):
    ticket_claim(ticket=ticket, agent=agent)
    ticket_ask_info(ticket=ticket, agent=agent, message="When did it start?")
    ticket_reply(ticket=ticket, body="This morning")
    ticket_resolve(ticket=ticket, agent=agent)
    ticket_reopen(ticket=ticket, agent=agent)
    ticket_reject(ticket=ticket, agent=agent, reason="Handled by phone.")
    rows = AuditEvent.objects.filter(event__startswith="ticket.").order_by("id")
    assert [r.event for r in rows] == [
        "ticket.created",
        "ticket.claimed",
        "ticket.info_requested",
        "ticket.replied",
        "ticket.resolved",
        "ticket.reopened",
        "ticket.rejected",
    ]
    assert {r.data["reference"] for r in rows} == {ticket.reference}
