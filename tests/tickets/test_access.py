"""Verify the caller, unlock (never without verification or a written reason), dual control for
privileged accounts, and the reset code: the real sign-in lock and the real code devices."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from signin.selectors import lock_status
from tests.tickets.conftest import last_code, lock_account, new_ticket
from tickets.errors import (
    CodeRejected,
    NoVerifiedContact,
    SameAgent,
    TicketClosed,
    TicketError,
    TransitionNotAllowed,
    UnknownAccount,
    VerificationRequired,
)
from tickets.models import EventKind, Resolution, TicketStatus
from tickets.services import (
    ticket_resolve,
    ticket_unlock,
    ticket_unlock_approve,
    ticket_unlock_decline,
    ticket_verify_check,
    ticket_verify_send,
)

S = TicketStatus


@pytest.fixture
def locked_ticket(employee, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    assert lock_status(username="zhang.wei").locked
    mail.outbox.clear()
    return new_ticket("zhang.wei")


def _verify(ticket, agent, capture, channel="email"):
    with capture(execute=True):
        ticket_verify_send(ticket=ticket, agent=agent, channel=channel)
    return ticket_verify_check(ticket=ticket, agent=agent, code=last_code(channel))


def test_verify_caller_with_a_code_sent_to_the_verified_contact(
    locked_ticket, agent, employee, clock, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_verify_send(ticket=locked_ticket, agent=agent, channel="sms")
    assert ticket.status == S.IN_PROGRESS and ticket.assignee == agent  # taken up
    from messaging import sms

    assert sms.outbox[-1].to == str(employee.phone)
    code = last_code("sms")
    assert code not in str(ticket.events.values_list("data", flat=True))  # never stored
    ticket = ticket_verify_check(ticket=ticket, agent=agent, code=code)
    assert ticket.is_verified
    assert (ticket.verified_by, ticket.verified_at, ticket.verified_how) == (
        agent,
        clock.now(),
        "sms",
    )
    assert AuditEvent.objects.filter(event="ticket.caller_verified").count() == 1


def test_a_wrong_code_is_recorded_and_refused(
    locked_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_verify_send(ticket=locked_ticket, agent=agent, channel="email")
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    with pytest.raises(CodeRejected):
        ticket_verify_check(ticket=locked_ticket, agent=agent, code=wrong)
    with pytest.raises(CodeRejected):
        ticket_verify_check(ticket=locked_ticket, agent=agent, code="12ab<script>" * 50)
    locked_ticket.refresh_from_db()
    assert not locked_ticket.is_verified
    assert locked_ticket.events.filter(kind=EventKind.VERIFY_FAILED).count() == 2
    assert AuditEvent.objects.filter(event="ticket.verify_failed").count() == 2
    ticket = ticket_verify_check(ticket=locked_ticket, agent=agent, code=right)
    assert ticket.is_verified


def test_the_code_dies_after_five_wrong_tries(
    locked_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_verify_send(ticket=locked_ticket, agent=agent, channel="email")
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(CodeRejected):
            ticket_verify_check(ticket=locked_ticket, agent=agent, code=wrong)
    with pytest.raises(CodeRejected):
        ticket_verify_check(ticket=locked_ticket, agent=agent, code=right)


def test_check_before_send_and_verify_twice_are_refused(
    locked_ticket, agent, django_capture_on_commit_callbacks
):
    with pytest.raises(TicketError, match="Send a verification code first"):
        ticket_verify_check(ticket=locked_ticket, agent=agent, code="123456")
    _verify(locked_ticket, agent, django_capture_on_commit_callbacks)
    with pytest.raises(TicketError, match="already verified"):
        ticket_verify_send(ticket=locked_ticket, agent=agent, channel="email")


def test_no_verified_contact_no_code(agent, db):
    from tests.factories import UserFactory

    UserFactory(username="no.contact", email_verified_at=None, phone_verified_at=None)
    ticket = new_ticket("no.contact")
    with pytest.raises(NoVerifiedContact):
        ticket_verify_send(ticket=ticket, agent=agent, channel="email")


def test_resend_too_soon_is_refused_with_the_reason(
    locked_ticket, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_verify_send(ticket=locked_ticket, agent=agent, channel="email")
    with pytest.raises(TicketError, match="moment ago"):
        ticket_verify_send(ticket=locked_ticket, agent=agent, channel="email")


def test_unlock_needs_verification_or_a_written_reason(locked_ticket, agent):
    with pytest.raises(VerificationRequired):
        ticket_unlock(ticket=locked_ticket, agent=agent)
    with pytest.raises(VerificationRequired):
        ticket_unlock(ticket=locked_ticket, agent=agent, reason="short")
    assert lock_status(username="zhang.wei").locked
    locked_ticket.refresh_from_db()
    assert locked_ticket.status == S.NEW


def test_unlock_after_verification_clears_the_lock_and_resolves(
    locked_ticket, agent, django_capture_on_commit_callbacks
):
    _verify(locked_ticket, agent, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_unlock(ticket=locked_ticket, agent=agent)
    assert not lock_status(username="zhang.wei").locked
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.UNLOCKED)
    row = AuditEvent.objects.get(event="ticket.unlocked")
    assert row.actor == agent and row.data["verified"] is True and row.data["was_locked"] is True
    assert AuditEvent.objects.filter(event="signin.unlocked").exists()
    subjects = [m.subject for m in mail.outbox]
    assert any(ticket.reference in s for s in subjects)  # the employee is told


def test_unlock_with_a_written_reason_is_audited_with_it(locked_ticket, agent):
    reason = "Known caller, verified by video call with her manager present."
    ticket = ticket_unlock(ticket=locked_ticket, agent=agent, reason=reason)
    assert ticket.status == S.RESOLVED
    assert not lock_status(username="zhang.wei").locked
    row = AuditEvent.objects.get(event="ticket.unlocked")
    assert row.data["verified"] is False and row.data["reason"] == reason
    assert ticket.unlock_reason == reason


def test_unlock_refused_for_unknown_accounts_closed_requests_and_own_account(agent, db):
    unknown = new_ticket("nobody.at.all")
    with pytest.raises(UnknownAccount):
        ticket_unlock(ticket=unknown, agent=agent, reason="A long enough reason to unlock this.")
    ticket_resolve(ticket=unknown, agent=agent)
    with pytest.raises(TicketClosed):
        ticket_unlock(ticket=unknown, agent=agent, reason="A long enough reason to unlock this.")
    own = new_ticket(agent.username)
    with pytest.raises(TicketError, match="own account"):
        ticket_unlock(ticket=own, agent=agent, reason="A long enough reason to unlock this.")


def test_an_agent_without_the_unlock_permission_cannot(locked_ticket, agent):
    from django.contrib.auth.models import Permission

    agent.groups.first().permissions.remove(
        Permission.objects.get(codename="unlock_account", content_type__app_label="tickets")
    )
    agent = type(agent).objects.get(pk=agent.pk)
    with pytest.raises(TicketError):
        ticket_unlock(ticket=locked_ticket, agent=agent, reason="A long enough reason to unlock.")
    assert lock_status(username="zhang.wei").locked


# --- Dual control -------------------------------------------------------------------------------
@pytest.fixture
def boss_ticket(boss, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account(boss.username)
    assert lock_status(username=boss.username).locked
    return new_ticket(boss.username)


def test_privileged_account_needs_a_second_agent(
    boss_ticket, boss, agent, agent2, django_capture_on_commit_callbacks
):
    _verify(boss_ticket, agent, django_capture_on_commit_callbacks)
    ticket = ticket_unlock(ticket=boss_ticket, agent=agent)
    assert ticket.status == S.APPROVAL
    assert ticket.unlock_requested_by == agent
    assert lock_status(username=boss.username).locked  # nothing happened yet
    with pytest.raises(SameAgent):
        ticket_unlock_approve(ticket=ticket, agent=agent)
    with pytest.raises(TransitionNotAllowed):
        ticket_unlock(ticket=ticket, agent=agent2)  # approving is a separate act
    assert lock_status(username=boss.username).locked
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_unlock_approve(ticket=ticket, agent=agent2)
    assert not lock_status(username=boss.username).locked
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.UNLOCKED)
    assert (ticket.unlock_approved_by, ticket.resolved_by) == (agent2, agent2)
    row = AuditEvent.objects.get(event="ticket.unlocked")
    assert row.data["requested_by"] == agent.username
    assert row.data["approved_by"] == agent2.username


def test_the_second_agent_may_decline(boss_ticket, boss, agent, agent2):
    reason = "Manager unreachable; cannot confirm the caller yet."
    ticket = ticket_unlock(ticket=boss_ticket, agent=agent, reason=reason)
    assert ticket.status == S.APPROVAL
    with pytest.raises(SameAgent):
        ticket_unlock_decline(ticket=ticket, agent=agent, reason="I changed my mind.")
    ticket = ticket_unlock_decline(ticket=ticket, agent=agent2, reason="Wait for the manager.")
    assert ticket.status == S.IN_PROGRESS
    assert ticket.unlock_requested_by is None
    assert lock_status(username=boss.username).locked
    with pytest.raises(TransitionNotAllowed):
        ticket_unlock_approve(ticket=ticket, agent=agent2)


def test_superusers_are_privileged_too(agent, agent2, db):
    from tests.factories import SuperuserFactory

    SuperuserFactory(username="root.two")
    ticket = new_ticket("root.two")
    ticket = ticket_unlock(ticket=ticket, agent=agent, reason="Long enough reason for the audit.")
    assert ticket.status == S.APPROVAL


# --- Password reset link --------------------------------------------------------------------
def test_send_reset_link_goes_to_the_verified_contact_and_the_agent_never_sees_it(
    locked_ticket, agent, employee, django_capture_on_commit_callbacks
):
    from tickets.services import ticket_reset_send

    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_reset_send(ticket=locked_ticket, agent=agent, channel="email")
    assert mail.outbox[-1].to == [employee.email]
    assert "/accounts/password/reset/link/" in mail.outbox[-1].body
    event = ticket.events.get(kind=EventKind.RESET_SENT)
    assert event.public and event.data["channel"] == "email"
    assert "link" not in str(event.data) and "@" not in event.data["to"].split("@")[0][2:]
    assert AuditEvent.objects.filter(event="ticket.reset_link_sent").count() == 1
    assert ticket.status == S.IN_PROGRESS


def test_send_reset_link_refusals_come_back_as_messages(agent, db):
    from tests.factories import UserFactory
    from tickets.errors import DeliveryRefused
    from tickets.services import ticket_reset_send

    UserFactory(username="far.away", phone="+14155550123", phone_verified_at="2026-01-01T00:00Z")
    ticket = new_ticket("far.away")
    with pytest.raises(DeliveryRefused):
        ticket_reset_send(ticket=ticket, agent=agent, channel="sms")  # outside SMS regions
    with pytest.raises(UnknownAccount):
        ticket_reset_send(ticket=new_ticket("nobody.at.all"), agent=agent, channel="email")
