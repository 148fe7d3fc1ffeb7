"""An agent sends a reset link; the agent never sees it; the token is hashed at rest, moved into
the session on first open, and a mail scanner fetching it changes nothing."""

from __future__ import annotations

import hashlib
import re
from http import HTTPStatus

import pytest
from django.core import mail
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from reset.errors import ResetInviteRefused
from reset.models import ResetFlow
from reset.services import reset_invite_send
from tests.factories import StaffFactory, UserFactory
from tests.reset.conftest import NEW, SECOND, VERIFY

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https://portal\.example\.cn(/accounts/password/reset/link/[A-Za-z0-9_-]+/)")


@pytest.fixture
def agent(db):
    return StaffFactory(username="agent.one")


def _send(user, agent, capture, channel="email"):
    with capture(execute=True):
        result = reset_invite_send(user=user, channel=channel, actor=agent)
    path = LINK.search(mail.outbox[-1].body).group(1)
    return result, path


def test_the_link_leads_to_a_new_password(user, agent, browser, django_capture_on_commit_callbacks):
    result, path = _send(user, agent, django_capture_on_commit_callbacks)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(result)  # the agent's screen shows where it went, not the link
    assert ResetFlow.objects.get().key_hash == hashlib.sha256(token.encode()).hexdigest()
    response = browser.get(path)
    assert response.status_code == HTTPStatus.FOUND and response.url == VERIFY
    page = browser.get(VERIFY)
    assert "Your helpdesk sent you this reset link" in page.content.decode()
    response = browser.post(VERIFY, {"action": "continue"})
    assert response.url == NEW
    assert browser.new_password().status_code == HTTPStatus.FOUND
    again = browser.get(path)
    assert again.status_code == HTTPStatus.BAD_REQUEST  # one reset per link
    assert AuditEvent.objects.filter(event="reset.invite_sent", actor=agent).exists()


def test_a_mail_scanner_opening_the_link_uses_nothing_up(
    user, agent, make_browser, django_capture_on_commit_callbacks
):
    _result, path = _send(user, agent, django_capture_on_commit_callbacks)
    scanner = make_browser()
    assert scanner.get(path).status_code == HTTPStatus.FOUND
    assert scanner.get(VERIFY).status_code == HTTPStatus.OK
    person = make_browser()
    person.get(path)
    assert person.post(VERIFY, {"action": "continue"}).url == NEW


def test_the_link_still_asks_for_totp(agent, browser, django_capture_on_commit_callbacks):
    user = UserFactory(username="zhang.wei")
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    _result, path = _send(user, agent, django_capture_on_commit_callbacks)
    browser.get(path)
    assert browser.post(VERIFY, {"action": "continue"}).url == SECOND


def test_the_link_expires(user, agent, browser, clock, django_capture_on_commit_callbacks):
    _result, path = _send(user, agent, django_capture_on_commit_callbacks)
    clock.advance(hours=1)
    response = browser.get(path)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "expired" in response.content.decode()


def test_a_self_service_flow_key_is_not_a_link(user, browser, make_browser, clock):
    browser.start("zhang.wei")
    key = browser.client.session["accounts.reset_flow"]
    other = make_browser()
    response = other.get(f"/accounts/password/reset/link/{key}/")
    assert response.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("fields", "code"),
    [({"is_active": False}, "inactive"), ({"email_verified_at": None}, "no_contact")],
)
def test_no_link_without_an_active_account_and_a_verified_contact(agent, fields, code):
    user = UserFactory(**fields)
    with pytest.raises(ResetInviteRefused) as exc:
        reset_invite_send(user=user, channel="email", actor=agent)
    assert exc.value.code == code
    assert mail.outbox == []
