"""Lock-aware requests: the sign-in app's own lock signals resolve and reopen them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from audit.models import AuditEvent
from signin.selectors import lock_status
from signin.unlock import lock_clear, locks_expire
from tests.tickets.conftest import lock_account, new_ticket
from tickets.models import EventKind, Resolution, TicketStatus
from tickets.services import ticket_claim, ticket_resolve

S = TicketStatus


@pytest.fixture
def locked(employee, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    status = lock_status(username="zhang.wei")
    assert status.locked
    return status


def _expire(clock, capture, status) -> None:
    clock.set(status.locked_until + timedelta(seconds=1))
    with capture(execute=True):
        locks_expire()


def test_lock_running_out_resolves_the_open_request_and_tells_the_user(
    locked, clock, agent, django_capture_on_commit_callbacks
):
    ticket = new_ticket("zhang.wei")
    ticket_claim(ticket=ticket, agent=agent)
    mail.outbox.clear()
    _expire(clock, django_capture_on_commit_callbacks, locked)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.LOCK_EXPIRED)
    assert ticket.resolved_by is None
    status_event = ticket.events.filter(kind=EventKind.STATUS).last()
    assert status_event.public and status_event.data["automatic"] is True
    assert AuditEvent.objects.filter(event="ticket.auto_resolved").count() == 1
    assert any(ticket.reference in m.subject for m in mail.outbox)


def test_a_password_reset_resolves_the_request(locked, django_capture_on_commit_callbacks):
    ticket = new_ticket("zhang.wei@corp.example.cn")  # filed with the email address
    with django_capture_on_commit_callbacks(execute=True):
        assert lock_clear(username="zhang.wei", how="reset")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.PASSWORD_RESET)


def test_unknown_names_behave_the_same(db, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("Ghost.User")
    status = lock_status(username="ghost.user")
    assert status.locked
    ticket = new_ticket("ghost.user")
    assert ticket.account_unknown and ticket.locked_when_filed
    _expire(clock, django_capture_on_commit_callbacks, status)
    ticket.refresh_from_db()
    assert ticket.resolution == Resolution.LOCK_EXPIRED


def test_relock_within_24_hours_reopens(locked, clock, agent, django_capture_on_commit_callbacks):
    ticket = new_ticket("zhang.wei")
    ticket_claim(ticket=ticket, agent=agent)
    _expire(clock, django_capture_on_commit_callbacks, locked)
    clock.advance(hours=23)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS  # back to the agent who had it
    assert ticket.resolution == "" and ticket.resolved_at is None
    assert ticket.due_at is not None
    assert AuditEvent.objects.get(event="ticket.reopened").data["automatic"] is True
    assert any(ticket.reference in m.subject for m in mail.outbox)
    lock_events = ticket.events.filter(kind=EventKind.LOCK)
    assert lock_events.last().data["locked"] is True


def test_relock_after_24_hours_does_not_reopen(locked, clock, django_capture_on_commit_callbacks):
    ticket = new_ticket("zhang.wei")
    _expire(clock, django_capture_on_commit_callbacks, locked)
    clock.advance(hours=24, minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED


def test_relock_does_not_reopen_what_an_agent_closed(
    locked, clock, agent, django_capture_on_commit_callbacks
):
    ticket = new_ticket("zhang.wei")
    ticket_resolve(ticket=ticket, agent=agent, note="Told her to wait.")
    _expire(clock, django_capture_on_commit_callbacks, locked)
    clock.advance(hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.SOLVED)


def test_relock_with_an_open_request_only_notes_it(
    locked, clock, django_capture_on_commit_callbacks
):
    old = new_ticket("zhang.wei")
    _expire(clock, django_capture_on_commit_callbacks, locked)
    clock.advance(hours=1)
    current = new_ticket("zhang.wei")
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    old.refresh_from_db()
    current.refresh_from_db()
    assert old.status == S.RESOLVED  # not two open requests for one lock
    assert current.status == S.NEW
    assert current.events.filter(kind=EventKind.LOCK).exists()


def test_a_manual_unlock_elsewhere_resolves_the_other_requests(
    locked, agent, django_capture_on_commit_callbacks
):
    first, second = new_ticket("zhang.wei"), new_ticket("zhang.wei")
    with django_capture_on_commit_callbacks(execute=True):
        lock_clear(username="zhang.wei", how="manual", actor=agent)
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.resolution == Resolution.UNLOCKED_ELSEWHERE


def test_a_lost_unlock_signal_is_caught_by_the_periodic_reconcile(
    locked, clock, agent, django_capture_on_commit_callbacks
):
    from signin import signals
    from tickets import receivers
    from tickets.services import tickets_reconcile_locks

    ticket = new_ticket("zhang.wei")
    signals.account_unlocked.disconnect(dispatch_uid="tickets.unlocked")  # the signal is lost
    try:
        _expire(clock, django_capture_on_commit_callbacks, locked)
    finally:
        signals.account_unlocked.connect(
            receivers.on_account_unlocked, dispatch_uid="tickets.unlocked"
        )
    ticket.refresh_from_db()
    assert ticket.status == S.NEW
    assert tickets_reconcile_locks() == 0  # the signal still has its grace period
    clock.advance(minutes=3)
    assert tickets_reconcile_locks() == 1
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == (S.RESOLVED, Resolution.LOCK_EXPIRED)
    assert tickets_reconcile_locks() == 0  # idempotent


def test_reconcile_leaves_requests_filed_after_the_lock_ended(
    locked, clock, django_capture_on_commit_callbacks
):
    from tickets.services import tickets_reconcile_locks

    _expire(clock, django_capture_on_commit_callbacks, locked)
    clock.advance(minutes=1)
    ticket = new_ticket("zhang.wei")  # still thinks it is locked
    clock.advance(minutes=10)
    assert tickets_reconcile_locks() == 0
    ticket.refresh_from_db()
    assert ticket.status == S.NEW


def test_an_unknown_phone_number_in_another_format_finds_its_lock(
    db, clock, django_capture_on_commit_callbacks
):
    # The sign-in keys an unknown name on its canonical form (a phone number as E.164); a
    # request naming the same number spelled otherwise belongs to that lock.
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("137 1000 0060")
    status = lock_status(username="+8613710000060")
    assert status.locked
    ticket = new_ticket("+86-137-1000-0060")
    assert ticket.account_unknown and ticket.locked_when_filed
    _expire(clock, django_capture_on_commit_callbacks, status)
    ticket.refresh_from_db()
    assert ticket.resolution == Resolution.LOCK_EXPIRED
