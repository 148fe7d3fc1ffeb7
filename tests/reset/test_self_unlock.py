"""The lock page's "I know my password: unlock with a code" (issue 15): the reset journey's start
and code steps with purpose "unlock". A right code lifts the portal's lock (and the directory's),
keeps the password, audits and tells the owner; wrong codes are capped; an unknown name, an
unlocked account and one without contacts read the same pages and get no message; the setting
turns the door off."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from messaging.models import OutboxMessage
from reset.models import ResetFlow
from signin.models import Lock, UnlockHow
from tests.accounts.conftest import last_code
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.signin.conftest import fail, sign_in

pytestmark = pytest.mark.django_db

UNLOCK = "/accounts/unlock/code/"
UNLOCK_VERIFY = "/accounts/unlock/code/verify/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


class UnlockBrowser:
    """One browser on the unlock pages; each post runs its on-commit tasks (the code's dispatch)."""

    def __init__(self, capture):
        self.client = Client(HTTP_ACCEPT_LANGUAGE="en")
        self._capture = capture

    def post(self, url: str, data: dict):
        with self._capture(execute=True):
            return self.client.post(url, data)

    def start(self, identifier: str, channel: str = "email", **extra):
        return self.post(UNLOCK, {"identifier": identifier, "channel": channel, **extra})

    def code(self, code: str):
        return self.post(UNLOCK_VERIFY, {"code": code, "action": "verify"})


@pytest.fixture
def browser(django_capture_on_commit_callbacks):
    return UnlockBrowser(django_capture_on_commit_callbacks)


@pytest.fixture
def make_browser(django_capture_on_commit_callbacks):
    return lambda: UnlockBrowser(django_capture_on_commit_callbacks)


def _lock(username: str):
    """Five wrong passwords from a stranger's browser: the account's lock page."""
    responses = fail(Client(HTTP_ACCEPT_LANGUAGE="en"), username, 5)
    assert Lock.objects.filter(username=username, ended_at__isnull=True).exists()
    return responses[-1]


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _body(response) -> str:
    return CSRF.sub("", response.content.decode())


def test_the_lock_page_offers_the_unlock_with_a_code(user, clock):
    page = _lock(user.username)
    assert page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    text = page.content.decode()
    assert "I know my password: unlock with a code" in text
    assert f'href="{UNLOCK}?username={user.username}"' in text


def test_a_locked_account_with_a_verified_email_gets_a_code(user, browser, clock):
    _lock(user.username)
    response = browser.start(user.username)
    assert response.status_code == HTTPStatus.FOUND and response.url == UNLOCK_VERIFY
    sent = OutboxMessage.objects.get(user=user, kind="unlock_code")
    assert sent.channel == "email" and sent.recipient == user.email
    assert len(last_code()) == 6
    page = browser.client.get(UNLOCK_VERIFY).content.decode()
    assert "Enter the unlock code" in page
    # Where the code went, only as the reset says it: no address, no sign that the name matched.
    assert "If an account matches what you typed and it has a verified email address" in page
    assert user.email not in page
    assert ResetFlow.objects.get(user=user).purpose == ResetFlow.Purpose.UNLOCK


def test_the_right_code_unlocks_and_keeps_the_password(user, browser, clock):
    password_hash = User.objects.get(pk=user.pk).password
    _lock(user.username)
    assert sign_in(Client(), user.username).status_code == HTTPStatus.TOO_MANY_REQUESTS
    browser.start(user.username)
    code = last_code()
    response = browser.code(code)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/login/"
    page = browser.client.get(response.url).content.decode()
    assert "Your account is unlocked. Sign in with your password, which is unchanged." in page
    lock = Lock.objects.get(username=user.username)
    assert lock.ended_how == UnlockHow.SELF_UNLOCK and lock.ended_at == clock.now()
    assert User.objects.get(pk=user.pk).password == password_hash
    event = AuditEvent.objects.get(event="reset.self_unlocked")
    assert event.user_id == user.pk and event.data["lifted"] is True
    assert AuditEvent.objects.get(event="signin.unlocked").data["how"] == "self_unlock"
    notice = OutboxMessage.objects.get(user=user, kind="account_self_unlocked", channel="email")
    assert "您的密码没有改变。" in notice.body_text  # the owner's language (zh_Hans by default)
    assert ResetFlow.objects.get(user=user).state == ResetFlow.State.DONE
    # The next sign-in with the (unchanged) password goes through.
    assert sign_in(Client(), user.username, DEFAULT_PASSWORD).status_code == HTTPStatus.FOUND
    # The code worked once.
    assert browser.code(code).status_code == HTTPStatus.BAD_REQUEST


def test_the_unlock_returns_to_the_app_the_sign_in_was_for(user, browser, clock, settings):
    settings.SIGNIN_NEXT_ALLOWED = ""  # any local path (the sso app's check has its own tests)
    _lock(user.username)
    browser.start(user.username, next="/account/")
    response = browser.code(last_code())
    assert response.url == "/accounts/login/?next=%2Faccount%2F"


def test_wrong_codes_are_capped_and_the_lock_stays(user, browser, clock):
    _lock(user.username)
    browser.start(user.username)
    code = last_code()
    for tries_left in (4, 3, 2, 1):
        response = browser.code(_wrong(code))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "That code is not right" in response.content.decode()
        assert ResetFlow.objects.get(user=user).failures == 5 - tries_left
    assert browser.code(_wrong(code)).status_code == HTTPStatus.BAD_REQUEST  # the fifth
    assert ResetFlow.objects.get(user=user).state == ResetFlow.State.FAILED
    assert browser.code(code).status_code == HTTPStatus.BAD_REQUEST  # too late, even right
    assert Lock.objects.get(username=user.username).ended_at is None
    assert sign_in(Client(), user.username).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not OutboxMessage.objects.filter(kind="account_self_unlocked").exists()
    assert AuditEvent.objects.filter(event="reset.code_failed").count() == 5


def test_the_code_expires_after_ten_minutes(user, browser, clock):
    _lock(user.username)
    browser.start(user.username)
    clock.advance(minutes=10, seconds=1)
    response = browser.code(last_code())
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert Lock.objects.get(username=user.username).ended_at is None


def test_every_kind_of_name_reads_the_same_pages_and_only_the_locked_one_gets_a_code(
    make_browser, clock
):
    UserFactory(username="locked.one")
    UserFactory(username="not.locked")
    UserFactory(username="no.contact", email_verified_at=None, phone_verified_at=None)
    _lock("locked.one")
    _lock("no.contact")
    seen = {}
    for name in ("locked.one", "nobody.here", "not.locked", "no.contact"):
        before = OutboxMessage.objects.count()
        browser = make_browser()
        start = browser.start(name)
        page = browser.client.get(UNLOCK_VERIFY)
        wrong = browser.code("000000")
        seen[name] = (
            (start.status_code, start.url, page.status_code, _body(page)),
            (wrong.status_code, _body(wrong)),
            OutboxMessage.objects.count() - before,
        )
    real = seen.pop("locked.one")
    assert real[2] == 1  # the code
    for name, (pages, wrong, sent) in seen.items():
        assert (pages, wrong) == real[:2], name
        assert sent == 0, name
    withheld = AuditEvent.objects.filter(event="reset.code_withheld")
    assert {e.subject: e.data["reason"] for e in withheld} == {
        "not.locked": "not_locked",
    }
    refused = AuditEvent.objects.get(event="code.refused", user__username="no.contact")
    assert refused.data["reason"] == "no_contact" and refused.data["purpose"] == "unlock"


def test_turned_off_the_lock_page_does_not_offer_it_and_the_urls_are_gone(
    user, browser, clock, settings
):
    settings.SELF_UNLOCK_ENABLED = False
    page = _lock(user.username).content.decode()
    assert "unlock with a code" not in page and UNLOCK not in page
    assert browser.client.get(UNLOCK).status_code == HTTPStatus.NOT_FOUND
    assert browser.start(user.username).status_code == HTTPStatus.NOT_FOUND
    assert browser.client.get(UNLOCK_VERIFY).status_code == HTTPStatus.NOT_FOUND
    assert not OutboxMessage.objects.filter(kind="unlock_code").exists()
    assert not ResetFlow.objects.exists()


def test_the_pages_in_chinese(user, clock):
    _lock(user.username)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get(UNLOCK).content.decode()
    assert "用验证码解锁" in page
