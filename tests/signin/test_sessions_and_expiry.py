"""Sessions after sign-in (new key, idle and absolute timeouts, records) and password expiry."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core import mail

from audit.models import AuditEvent
from signin.models import ExpiryReminder, UserSession
from signin.tasks import password_reminders
from tests.factories import DEFAULT_PASSWORD
from tests.signin.conftest import sign_in

pytestmark = pytest.mark.django_db

OVERVIEW = "/account/"
EXPIRED = "/accounts/login/password/"


def test_sign_in_gives_a_new_session_key_and_registers_the_session(en, user):
    en.get("/accounts/login/")
    en.session.save()
    before = en.session.session_key
    response = sign_in(
        en, "zhang.wei", HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/120.0"
    )
    assert response.status_code == HTTPStatus.FOUND
    after = en.session.session_key
    assert after and after != before
    record = UserSession.objects.get(session_key=after)
    assert record.user == user and record.ip == "127.0.0.1" and not record.known_browser
    assert "Chrome/120" in record.user_agent
    en.post("/accounts/logout/")
    record.refresh_from_db()
    assert record.ended_at is not None
    assert AuditEvent.objects.filter(event="signin.signed_out", user=user).exists()


def test_next_is_followed_only_within_the_site(en, user):
    response = en.post(
        "/accounts/login/?next=/tickets/unlock/",
        {"username": "zhang.wei", "password": DEFAULT_PASSWORD, "next": "/help/"},
    )
    assert response["Location"] == "/help/"
    en.post("/accounts/logout/")
    response = en.post(
        "/accounts/login/",
        {"username": "zhang.wei", "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == OVERVIEW


def test_idle_for_30_minutes_signs_out(en, user, clock):
    sign_in(en, "zhang.wei")
    for _ in range(3):
        clock.advance(minutes=29)
        assert en.get(OVERVIEW).status_code == HTTPStatus.OK
    clock.advance(minutes=30, seconds=1)
    response = en.get(OVERVIEW)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in en.session
    event = AuditEvent.objects.get(event="signin.session_expired")
    assert event.data["reason"] == "idle_timeout"
    assert UserSession.objects.get(user=user).ended_at is not None


def test_a_session_ends_after_12_hours_however_active(en, user, clock):
    sign_in(en, "zhang.wei")
    for _ in range(24):
        clock.advance(minutes=29)
        en.get(OVERVIEW)
    assert "_auth_user_id" in en.session  # 11 h 36 min
    clock.advance(minutes=25)
    assert en.get(OVERVIEW).status_code == HTTPStatus.FOUND
    assert AuditEvent.objects.get(event="signin.session_expired").data["reason"] == (
        "absolute_timeout"
    )


@pytest.fixture
def expiring(settings, user, clock):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user.password_changed_at = clock.now() - timedelta(days=91)
    user.save()
    return user


def test_an_expired_password_leads_to_a_forced_change_never_a_lock(en, expiring):
    response = sign_in(en, "zhang.wei")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == EXPIRED
    assert "_auth_user_id" not in en.session
    page = en.get(EXPIRED).content.decode()
    assert "Your password has expired" in page
    refused = en.post(EXPIRED, {"new_password1": "short", "new_password2": "short"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    new = "a fresh passphrase for winter"
    done = en.post(EXPIRED, {"new_password1": new, "new_password2": new})
    assert done.status_code == HTTPStatus.FOUND and done["Location"] == OVERVIEW
    assert int(en.session["_auth_user_id"]) == expiring.pk
    expiring.refresh_from_db()
    assert expiring.check_password(new)
    event = AuditEvent.objects.get(event="account.password_changed")
    assert event.data["reason"] == "expired"
    # Right-but-expired passwords never count as failures.
    from signin.selectors import lock_status

    assert lock_status(username="zhang.wei").failures == 0


def test_a_password_reset_meanwhile_ends_the_pending_expired_step(en, expiring):
    # Someone who knew the old password reached the forced-change page; the owner resets the
    # password before they submit: the pending step dies with the old password.
    assert sign_in(en, "zhang.wei")["Location"] == EXPIRED
    expiring.set_password("the owner's brand new passphrase")
    expiring.save()
    new = "the intruder's chosen passphrase"
    response = en.post(EXPIRED, {"new_password1": new, "new_password2": new})
    assert response.status_code != HTTPStatus.FOUND or response["Location"] != OVERVIEW
    assert "_auth_user_id" not in en.session
    expiring.refresh_from_db()
    assert expiring.check_password("the owner's brand new passphrase")


def test_no_expiry_by_default(en, user, clock):
    user.password_changed_at = clock.now() - timedelta(days=3650)
    user.save()
    assert sign_in(en, "zhang.wei")["Location"] == OVERVIEW


def test_expiry_reminders_go_out_14_7_and_1_days_before_once_each(
    settings, user, clock, django_capture_on_commit_callbacks
):
    settings.PASSWORD_MAX_AGE_DAYS = 90
    user.password_changed_at = clock.now()
    user.save()
    sent_on = []
    for day in range(95):
        with django_capture_on_commit_callbacks(execute=True):
            before = len(mail.outbox)
            password_reminders()
            password_reminders()  # twice a day: still one message
        if len(mail.outbox) > before:
            sent_on.append(day)
        clock.advance(days=1)
    assert sent_on == [76, 83, 89]
    assert sorted(ExpiryReminder.objects.values_list("days_before", flat=True)) == [1, 7, 14]
    assert "14" in mail.outbox[0].body or "14" in mail.outbox[0].subject
