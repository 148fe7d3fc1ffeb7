"""What the employee receives: only on verified contacts, in their language, never a secret."""

from __future__ import annotations

from django.core import mail

from messaging import sms
from messaging.models import OutboxMessage
from tests.factories import UserFactory
from tests.tickets.conftest import new_ticket
from tickets.services import ticket_ask_info, ticket_claim, ticket_reject, ticket_resolve


def test_status_changes_reach_every_verified_contact(
    employee, agent, django_capture_on_commit_callbacks
):
    ticket = new_ticket("zhang.wei")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_claim(ticket=ticket, agent=agent)
    assert [m.to for m in mail.outbox] == [[employee.email]]
    assert [m.to for m in sms.outbox] == [str(employee.phone)]
    assert ticket.reference in mail.outbox[0].subject


def test_unverified_contacts_are_never_written_to(agent, django_capture_on_commit_callbacks):
    UserFactory(username="half.verified", phone_verified_at=None)
    ticket = new_ticket("half.verified", contact="+8613900000000")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_claim(ticket=ticket, agent=agent)
    assert len(mail.outbox) == 1 and sms.outbox == []


def test_unknown_accounts_are_told_nothing(agent, django_capture_on_commit_callbacks):
    ticket = new_ticket("nobody.here", contact="victim@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_claim(ticket=ticket, agent=agent)
        ticket_resolve(ticket=ticket, agent=agent)
    assert mail.outbox == [] and sms.outbox == []
    assert not OutboxMessage.objects.exists()


def test_messages_in_the_employees_language(agent, django_capture_on_commit_callbacks):
    UserFactory(username="alice", language="en")
    UserFactory(username="wang.fang", language="zh-hans")
    for name in ("alice", "wang.fang"):
        ticket = new_ticket(name)
        with django_capture_on_commit_callbacks(execute=True):
            ticket_ask_info(ticket=ticket, agent=agent, message="Which browser do you use?")
    english, chinese = list(mail.outbox)
    assert "Your unlock request" in english.body and "The helpdesk asks" in english.body
    assert "解锁申请" in chinese.subject
    assert "Which browser do you use?" in chinese.body  # the agent's own words, as written


def test_rejection_reason_and_resolution_are_explained(
    employee, agent, django_capture_on_commit_callbacks
):
    employee.language = "en"
    employee.save()
    ticket = new_ticket("zhang.wei")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reject(ticket=ticket, agent=agent, reason="Please ask your manager to call us.")
    body = mail.outbox[-1].body
    assert "Please ask your manager to call us." in body
    assert "closed your request without unlocking" in body
    assert sms.outbox[-1].body.count(ticket.reference) == 1
    assert len(sms.outbox[-1].body) <= 160


def test_the_received_notice_names_where_the_request_came_from(filed):
    ticket, _url = filed
    body = mail.outbox[0].body
    assert ticket.reference in body
    assert "127.0.0.1" in body
    assert "/tickets/status/" not in body  # the private link is never sent
