"""Lock and new-sign-in messages, the agents' "Locked accounts" view, the sweep and the cleanup."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.test import Client

from accounts.roles import HELPDESK_AGENTS
from accounts.services import roles_sync
from audit.models import AuditEvent
from messaging import sms
from signin.models import FailureCounter, Lock
from signin.selectors import lock_status
from signin.signals import account_unlocked
from signin.tasks import locks_sweep, signin_cleanup
from tests.factories import StaffFactory
from tests.signin.conftest import browser, fail, sign_in

pytestmark = pytest.mark.django_db

UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def test_one_message_per_lock_to_the_verified_contacts(
    user, clock, django_capture_on_commit_callbacks
):
    attacker = browser(REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT=UA)
    with django_capture_on_commit_callbacks(execute=True):
        fail(attacker, "zhang.wei@corp.example.cn", 5)
        fail(attacker, "zhang.wei", 3)  # attempts during the lock: no new message
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [user.email]
    reference = lock_status(username="zhang.wei").reference
    for text in (email.body, email.alternatives[0][0]):
        assert "203.0.113.77" in text and "Chrome 120 on Windows" in text
        assert "after 5 failed attempts" in text or "5" in text
        assert reference in text
        assert "/accounts/password/reset/" in text
    assert "locked" in email.subject.lower() or "锁定" in email.subject
    assert Lock.objects.get().notified_at is not None
    # The next lock (after this one ends) gets its own message.
    clock.advance(minutes=31)
    with django_capture_on_commit_callbacks(execute=True):
        fail(attacker, "zhang.wei", 5)
    assert len(mail.outbox) == 2


def test_no_message_for_an_unknown_name_and_none_twice(user, django_capture_on_commit_callbacks):
    from signin.notifications import lock_notify_owner

    with django_capture_on_commit_callbacks(execute=True):
        fail(browser(), "nobody.here", 5)
    assert mail.outbox == [] and sms.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        fail(browser(), "zhang.wei", 5)
    assert len(mail.outbox) == 1
    assert lock_notify_owner(lock_id=Lock.objects.get(user=user).pk) == 0  # redelivered task


def test_a_new_browser_gets_a_notice_a_known_one_does_not(user, django_capture_on_commit_callbacks):
    client = browser(HTTP_USER_AGENT=UA, REMOTE_ADDR="198.51.100.20")
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client, "zhang.wei")
    assert len(mail.outbox) == 1
    assert "New sign-in" in mail.outbox[0].subject or "登录" in mail.outbox[0].subject
    assert "198.51.100.20" in mail.outbox[0].body and "Chrome 120 on Windows" in mail.outbox[0].body
    client.post("/accounts/logout/")
    with django_capture_on_commit_callbacks(execute=True):
        sign_in(client, "zhang.wei")
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(event="signin.succeeded").count() == 2


@pytest.fixture
def agent(db) -> Client:
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    roles_sync()
    staff = StaffFactory(username="agent.smith")
    staff.groups.add(Group.objects.get(name=HELPDESK_AGENTS))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id  # an OTP admin site wants a verified session
    session.save()
    client.staff = staff
    return client


def test_agents_see_locked_accounts_and_search_by_name_or_reference(agent, user):
    fail(browser(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.5"), "zhang.wei", 5)
    fail(browser(), "ghost.user", 5)
    reference = lock_status(username="zhang.wei").reference
    page = agent.get("/admin/signin/lock/")
    assert page.status_code == HTTPStatus.OK
    body = page.content.decode()
    assert "zhang.wei" in body and "ghost.user (no such account)" in body
    assert reference in body and "203.0.113.5" in body and "Chrome 120 on Windows" in body
    found = agent.get("/admin/signin/lock/", {"q": reference.lower()}).content.decode()
    assert reference in found and "ghost.user" not in found
    found = agent.get("/admin/signin/lock/", {"q": "ghost"}).content.decode()
    assert "ghost.user" in found and reference not in found


def test_the_unlock_action_lifts_the_lock_audits_and_tells_the_user(
    agent, user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        fail(browser(), "zhang.wei", 5)
    lock = Lock.objects.get()
    seen = []

    def on_unlocked(sender, **kwargs):
        seen.append(kwargs["how"])

    chosen = {"action": "unlock", "_selected_action": [lock.pk]}
    # First the confirmation page asks why; without a reason nothing changes.
    page = agent.post("/admin/signin/lock/", chosen)
    assert page.status_code == HTTPStatus.OK and lock.reference in page.content.decode()
    too_short = agent.post("/admin/signin/lock/", {**chosen, "confirm": "yes", "reason": "ok"})
    assert too_short.status_code == HTTPStatus.OK
    assert lock_status(username="zhang.wei").locked
    account_unlocked.connect(on_unlocked)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = agent.post(
                "/admin/signin/lock/",
                {**chosen, "confirm": "yes", "reason": "Caller verified by phone, ticket 42"},
            )
    finally:
        account_unlocked.disconnect(on_unlocked)
    assert response.status_code == HTTPStatus.FOUND
    assert not lock_status(username="zhang.wei").locked
    lock.refresh_from_db()
    assert lock.ended_how == "manual" and lock.ended_by == agent.staff
    event = AuditEvent.objects.get(event="signin.unlocked")
    assert event.actor == agent.staff and event.user == user and event.data["how"] == "manual"
    assert event.data["reason"] == "Caller verified by phone, ticket 42"
    assert seen == ["manual"]
    assert "unlocked" in mail.outbox[-1].subject.lower() or "解锁" in mail.outbox[-1].subject
    assert sign_in(browser(), "zhang.wei").status_code == HTTPStatus.FOUND


def test_staff_without_the_permission_cannot_unlock(user, db):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    plain = StaffFactory(username="plain.staff")
    client = Client()
    client.force_login(plain)
    device = TOTPDevice.objects.create(user=plain, name="authenticator", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    fail(browser(), "zhang.wei", 5)
    lock = Lock.objects.get()
    client.post("/admin/signin/lock/", {"action": "unlock", "_selected_action": [lock.pk]})
    assert lock_status(username="zhang.wei").locked


def test_the_sweep_announces_locks_that_ran_out_once(
    user, clock, django_capture_on_commit_callbacks
):
    fail(browser(), "zhang.wei", 5)
    seen = []

    def on_unlocked(sender, **kwargs):
        seen.append((kwargs["username"], kwargs["how"]))

    account_unlocked.connect(on_unlocked)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert locks_sweep() == 0
        clock.advance(minutes=30)
        with django_capture_on_commit_callbacks(execute=True):
            assert locks_sweep() == 1
            assert locks_sweep() == 0
    finally:
        account_unlocked.disconnect(on_unlocked)
    assert seen == [("zhang.wei", "expired")]
    lock = Lock.objects.get()
    assert lock.ended_how == "expired" and lock.ended_at == lock.locked_until
    event = AuditEvent.objects.get(event="signin.auto_unlocked")
    assert event.user == user and event.data["reference"] == lock.reference


def test_cleanup_removes_records_older_than_the_retention(user, clock, settings):
    settings.LOCKOUT_LOG_RETENTION_DAYS = 90
    fail(browser(), "zhang.wei", 5)
    fail(browser(REMOTE_ADDR="10.1.1.1"), "li.si.unknown", 1)
    clock.advance(days=31)
    fail(browser(REMOTE_ADDR="10.2.2.2"), "zhang.wei", 1)
    counts = signin_cleanup()
    assert counts["attempts"] == 0 and AccessAttempt.objects.count() == 3
    # A counter idle for longer than any lock or doubling window goes (li.si.unknown's, and the
    # count of what was typed as it, signin.typed_counter).
    assert counts["counters"] == 2 and FailureCounter.objects.count() == 2
    clock.advance(days=60)
    counts = signin_cleanup()
    assert counts["attempts"] == 2 and counts["locks"] == 1
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.2.2.2"]
    assert not Lock.objects.exists()
    assert counts["counters"] == 2 and not FailureCounter.objects.exists()
    clock.advance(days=31)
    assert signin_cleanup()["attempts"] == 1


def test_privileged_accounts_are_not_unlocked_from_the_locks_list(agent, staff):
    fail(browser(), staff.username, 5)
    lock = Lock.objects.get()
    response = agent.post(
        "/admin/signin/lock/",
        {
            "action": "unlock",
            "_selected_action": [lock.pk],
            "confirm": "yes",
            "reason": "Caller says it is urgent",
        },
        follow=True,
    )
    assert response.status_code == HTTPStatus.OK
    assert "second agent" in response.content.decode() or "第二" in response.content.decode()
    assert lock_status(username=staff.username).locked
    assert not AuditEvent.objects.filter(event="signin.unlocked").exists()
