"""The end of a reset: password rules on the page, the lock lifted, every session ended, no
automatic sign-in, a notice to every verified contact, and TOTP asked when enrolled."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from messaging.models import OutboxMessage
from reset.models import ResetFlow
from signin.models import UserSession
from signin.selectors import lock_status
from tests.factories import DEFAULT_PASSWORD, UserFactory, backup_codes_give
from tests.reset.conftest import NEW, NEW_PASSWORD, SECOND, last_code

pytestmark = pytest.mark.django_db


def _to_new_password(browser, identifier="zhang.wei"):
    browser.start(identifier)
    response = browser.code(last_code())
    assert response.status_code == HTTPStatus.FOUND
    return response


def _lock(username: str) -> None:
    client = Client()
    for _ in range(settings.LOCKOUT_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": username, "password": "not it at all"})
    assert lock_status(username=username).locked


def test_reset_works_while_locked_and_lifts_the_lock(user, browser, clock):
    _lock("zhang.wei")
    _to_new_password(browser)
    response = browser.new_password()
    assert response.status_code == HTTPStatus.FOUND
    assert not lock_status(username="zhang.wei").locked
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(event="signin.unlocked").exists()


def test_every_session_ends_and_the_browser_is_not_signed_in(user, browser, clock):
    others = []
    for _ in range(2):
        other = Client()
        other.force_login(user)
        UserSession.objects.create(
            user=user,
            session_key=other.session.session_key,
            created_at=clock.now(),
            last_seen_at=clock.now(),
        )
        others.append(other)
    _to_new_password(browser)
    response = browser.new_password()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/login/"
    assert SESSION_KEY not in browser.client.session
    assert not Session.objects.filter(
        session_key__in=[c.session.session_key for c in others]
    ).exists()
    assert not UserSession.objects.filter(user=user, ended_at__isnull=True).exists()
    page = browser.client.get("/accounts/login/")
    assert "Your password was changed" in page.content.decode()
    assert browser.client.get("/account/").status_code == HTTPStatus.FOUND  # to the login page


def test_the_change_notice_goes_to_every_verified_contact(user, browser, clock):
    _to_new_password(browser)
    browser.new_password()
    notices = OutboxMessage.objects.filter(kind="account_password_changed")
    assert {m.channel for m in notices} == {"email", "sms"}
    email = notices.get(channel="email")
    assert "127.0.0.1" in email.body_text
    assert "/accounts/password/reset/" in email.body_text  # what to do if it was not you
    assert "2026-11-24 09:00" in email.body_text


def test_every_step_is_audited(user, browser, clock):
    _to_new_password(browser)
    browser.new_password()
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {
        "reset.requested",
        "code.sent",
        "reset.code_verified",
        "account.password_changed",
        "reset.completed",
    } <= events


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("elevenchars", "too short"),
        ("password1234", "too common"),
        ("zhang.wei.zhang", "too similar"),
        (DEFAULT_PASSWORD, "current password"),
    ],
)
def test_refused_passwords_say_why_on_the_page(user, browser, clock, password, reason):
    _to_new_password(browser)
    page = browser.get(NEW)
    assert "At least 12 characters" in page.content.decode()  # the rules, up front
    response = browser.new_password(password)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert reason in response.content.decode()
    assert ResetFlow.objects.get().state == ResetFlow.State.READY  # may try again


@pytest.mark.parametrize(
    "password",
    ["y" * 64, "z" * 128, "我的密码是一只快乐的大熊猫啊", "🔐🐼🌸🍵🚲📚🎋🏮🐉🌙🍜🎐"],
)
def test_long_chinese_and_emoji_passwords_are_accepted_on_the_page(user, browser, clock, password):
    _to_new_password(browser)
    response = browser.new_password(password)
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.check_password(password)


def test_mismatched_passwords_are_refused(user, browser, clock):
    _to_new_password(browser)
    response = browser.new_password(NEW_PASSWORD, "something else entirely")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not the same" in response.content.decode()


def _totp_now(device: TOTPDevice) -> str:
    """The code the user's app shows now (the fake clock drives it)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"


def test_totp_is_required_when_enrolled(browser, clock):
    user = UserFactory(username="zhang.wei")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    response = _to_new_password(browser)
    assert response.url == SECOND
    assert browser.get(NEW).url == SECOND  # no skipping the step
    wrong = f"{(int(_totp_now(device)) + 1) % 10**6:06d}"
    response = browser.second(wrong)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not right" in response.content.decode()
    clock.advance(seconds=5)  # django-otp's own back-off after a wrong code
    response = browser.second(_totp_now(device))
    assert response.status_code == HTTPStatus.FOUND and response.url == NEW
    assert browser.new_password().status_code == HTTPStatus.FOUND


def test_wrong_second_factor_codes_add_up_across_resets_until_reset_pauses(
    make_browser, clock, settings
):
    """Whoever holds the mailbox gets a right emailed code every time; that must not wipe the
    run of wrong authenticator codes behind it: 20 in a row, across resets, pause the reset."""
    from reset.models import ResetBlock

    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own back-off aside: the streak alone
    user = UserFactory(username="zhang.wei")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    for _round in range(4):
        browser = make_browser()
        browser.start("zhang.wei")
        assert browser.code(last_code()).url == SECOND  # the right emailed code
        for _ in range(5):
            wrong = f"{(int(_totp_now(device)) + 500_000) % 10**6:06d}"
            assert browser.second(wrong).status_code == HTTPStatus.BAD_REQUEST
        clock.advance(minutes=13)
    assert ResetBlock.objects.filter(user=user, key__startswith="account:").exists()
    assert make_browser().start("zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_right_second_factor_ends_its_run_of_wrong_ones(make_browser, clock, settings):
    from reset.models import ResetBlock

    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    user = UserFactory(username="zhang.wei")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    for _round in range(5):  # 4 wrong, then the right one: never 20 in a row
        browser = make_browser()
        browser.start("zhang.wei")
        browser.code(last_code())
        for _ in range(4):
            browser.second(f"{(int(_totp_now(device)) + 500_000) % 10**6:06d}")
        clock.advance(seconds=31)  # a fresh authenticator code
        assert browser.second(_totp_now(device)).url == NEW
        clock.advance(minutes=13)
    assert not ResetBlock.objects.exists()


def test_a_backup_code_also_passes_the_second_step(browser, clock):
    user = UserFactory(username="zhang.wei")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    backup_codes_give(user, "abcd2345")
    _to_new_password(browser)
    assert browser.second("ABCD 2345").url == NEW
    assert not StaticToken.objects.exists()  # used up


def test_a_signed_in_browser_resetting_its_own_password_ends_signed_out(user, browser, clock):
    browser.client.force_login(user)
    UserSession.objects.create(
        user=user,
        session_key=browser.client.session.session_key,
        created_at=clock.now(),
        last_seen_at=clock.now(),
    )
    _to_new_password(browser)
    response = browser.new_password()
    assert response.status_code == HTTPStatus.FOUND and response.url == "/accounts/login/"
    assert SESSION_KEY not in browser.client.session
    assert browser.client.get("/account/").status_code == HTTPStatus.FOUND
