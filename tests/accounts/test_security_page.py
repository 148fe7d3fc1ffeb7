"""/account/: contacts masked, sign-ins and sessions, password change, recovery contacts,
two-step enrolment, backup codes, turning it off, the add-a-contact prompt."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twostep
from accounts.backup_codes import backup_code_digest
from audit.models import AuditEvent
from messaging.models import OutboxMessage
from signin.models import UserSession
from tests.accounts.conftest import last_code
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase to remember"


@pytest.fixture
def signed_in(user, django_capture_on_commit_callbacks):
    """A browser signed in through the real login page."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="Mozilla/5.0 Chrome/120.0")
    response = client.post(
        "/accounts/login/", {"username": "zhang.wei", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND
    client.capture = django_capture_on_commit_callbacks
    return client


def _post(client, url, data):
    with client.capture(execute=True):
        return client.post(url, data)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"


def test_overview_masks_contacts_and_lists_sign_ins(signed_in, user):
    body = signed_in.get("/account/").content.decode()
    assert user.email not in body and str(user.phone) not in body
    assert "z***@corp.example.cn" in body  # the name's length is not shown either
    assert f"138****{str(user.phone)[-4:]}" in body
    assert "127.0.0.1" in body
    assert "this browser" in body
    assert "Sign out all other sessions" in body


def test_sign_out_all_other_sessions(signed_in, user):
    other = Client()
    other.post("/accounts/login/", {"username": "zhang.wei", "password": DEFAULT_PASSWORD})
    other_key = other.session.session_key
    assert UserSession.objects.filter(user=user, ended_at__isnull=True).count() == 2
    response = signed_in.post("/account/sessions/end-others/")
    assert response.status_code == HTTPStatus.FOUND
    assert not Session.objects.filter(session_key=other_key).exists()
    assert signed_in.get("/account/").status_code == HTTPStatus.OK
    assert other.get("/account/").status_code == HTTPStatus.FOUND
    assert AuditEvent.objects.filter(event="account.sessions_ended").exists()


def test_change_password_needs_the_current_one(signed_in, user):
    response = _post(
        signed_in,
        "/account/password/",
        {
            "current_password": "not my password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "current password is not right" in response.content.decode()
    # counted like a failed sign-in (the sign-in app decides which counter: this known browser)
    assert AuditEvent.objects.filter(event="signin.failed", user=user).count() == 1
    response = _post(
        signed_in,
        "/account/password/",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in.get("/account/").status_code == HTTPStatus.OK  # still signed in here
    current = signed_in.session.session_key
    assert UserSession.objects.filter(session_key=current, ended_at__isnull=True).exists()
    assert OutboxMessage.objects.filter(kind="account_password_changed").count() == 2


def test_changing_the_email_needs_the_password_a_code_and_tells_the_old_address(signed_in, user):
    url = "/account/contacts/"
    response = _post(signed_in, url, {"kind": "email", "value": "new.me@corp.example.cn"})
    assert response.status_code == HTTPStatus.BAD_REQUEST  # password missing
    response = _post(
        signed_in,
        url,
        {"kind": "email", "value": "New.Me@corp.example.cn", "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert mail.outbox[-1].to == ["new.me@corp.example.cn"]
    code = last_code()
    response = _post(signed_in, "/account/contacts/verify/", {"code": "000000"})
    if code != "000000":
        assert response.status_code == HTTPStatus.BAD_REQUEST
    response = _post(signed_in, "/account/contacts/verify/", {"code": code})
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.email == "new.me@corp.example.cn" and user.has_verified_email
    told = OutboxMessage.objects.get(kind="contact_changed")
    assert told.recipient == "zhang.wei@corp.example.cn"
    assert "n***@corp.example.cn" in told.body_text


def test_a_first_phone_needs_no_password_but_a_code(signed_in, django_capture_on_commit_callbacks):
    user = UserFactory(username="no.phone", phone="", phone_verified_at=None)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    client.capture = django_capture_on_commit_callbacks
    response = _post(client, "/account/contacts/", {"kind": "sms", "value": "13900139000"})
    assert response.status_code == HTTPStatus.FOUND
    response = _post(client, "/account/contacts/verify/", {"code": last_code(channel="sms")})
    assert response.status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert str(user.phone) == "+8613900139000" and user.has_verified_phone


def test_phones_outside_allowed_regions_are_refused(signed_in):
    response = _post(
        signed_in,
        "/account/contacts/",
        {"kind": "sms", "value": "+14155550100", "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "can only be sent to numbers in: CN" in response.content.decode()


def test_a_user_without_contacts_is_asked_to_add_one_a_limited_number_of_times(settings):
    settings.CONTACT_PROMPT_SKIPS = 2
    UserFactory(username="bare", email="", phone="", email_verified_at=None, phone_verified_at=None)
    for _ in range(2):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.post("/accounts/login/", {"username": "bare", "password": DEFAULT_PASSWORD})
        response = client.get("/account/")
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith("/account/contacts/add/")
        prompt = client.get(response.url)
        assert "Later" in prompt.content.decode()
        skipped = client.post(response.url, {"action": "later", "next": "/account/"})
        assert skipped.url == "/account/"
        assert client.get("/account/").status_code == HTTPStatus.OK  # not asked again
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/accounts/login/", {"username": "bare", "password": DEFAULT_PASSWORD})
    prompt = client.get("/account/contacts/add/?next=/account/")
    assert "Later" not in prompt.content.decode()
    client.post("/account/contacts/add/", {"action": "later", "next": "/account/"})
    assert client.get("/account/").status_code == HTTPStatus.FOUND


def test_totp_enrolment_qr_first_code_and_backup_codes_shown_once(signed_in, user):
    page = signed_in.get("/account/two-step/set-up/")
    body = page.content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert "<svg" in body  # drawn here, inline: no image service ever sees the secret
    assert re.search(r"<img[^>]+src=", body) is None
    assert twostep.secret_grouped(device) in body
    response = _post(signed_in, "/account/two-step/set-up/", {"code": "12345a"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    response = _post(signed_in, "/account/two-step/set-up/", {"code": _code(device)})
    assert response.status_code == HTTPStatus.FOUND
    first = signed_in.get(response.url).content.decode()
    codes = re.findall(r"<li>([a-z2-7]{8})</li>", first)
    assert len(codes) == 10
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert stored == {backup_code_digest(code) for code in codes}  # no code is stored
    assert not stored & set(codes)
    again = signed_in.get("/account/two-step/backup-codes/")
    assert again.status_code == HTTPStatus.FOUND  # shown once
    device.refresh_from_db()
    assert device.confirmed
    assert OutboxMessage.objects.filter(kind="two_step_enabled").exists()


def test_turning_two_step_off_needs_password_and_code(signed_in, user, clock):
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    url = "/account/two-step/turn-off/"
    response = _post(signed_in, url, {"current_password": "wrong one", "otp_token": _code(device)})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    wrong = f"{(int(_code(device)) + 1) % 10**6:06d}"
    response = _post(signed_in, url, {"current_password": DEFAULT_PASSWORD, "otp_token": wrong})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert TOTPDevice.objects.filter(user=user).exists()
    clock.advance(seconds=10)
    response = _post(
        signed_in, url, {"current_password": DEFAULT_PASSWORD, "otp_token": _code(device)}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert OutboxMessage.objects.filter(kind="two_step_disabled").exists()


def test_staff_cannot_turn_two_step_off(client):
    from tests.factories import StaffFactory, otp_force_login

    staff = StaffFactory()
    otp_force_login(client, staff)
    response = client.post(
        "/account/two-step/turn-off/",
        {"current_password": DEFAULT_PASSWORD, "otp_token": "123456"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert TOTPDevice.objects.filter(user=staff).exists()
