"""The TOTP (or backup code) step after the right password, on the same lockout counters."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from signin.selectors import lock_status
from tests.factories import backup_codes_give
from tests.signin.conftest import browser, fail, sign_in

pytestmark = pytest.mark.django_db

CODE = "/accounts/login/code/"


@pytest.fixture
def device(user):
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_right_password_then_code_signs_in(en, user, device, clock):
    old_key = en.session.session_key
    response = sign_in(en, "zhang.wei")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == CODE
    assert "_auth_user_id" not in en.session  # nothing signed in before the code
    page = en.get(CODE)
    assert "authenticator app" in page.content.decode()
    response = en.post(CODE, {"code": _code(device)})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/account/"
    assert int(en.session["_auth_user_id"]) == user.pk
    assert en.session["otp_device_id"] == device.persistent_id  # django-otp knows the session
    assert en.session.session_key != old_key
    event = AuditEvent.objects.get(event="signin.succeeded")
    assert event.data["second_step"] == "totp"


def test_wrong_codes_count_toward_the_same_lockout(en, user, device, clock):
    fail(en, "zhang.wei", 2)  # two wrong passwords first
    sign_in(en, "zhang.wei")
    responses = []
    for _ in range(3):
        clock.advance(seconds=30)  # past django-otp's own throttle
        responses.append(en.post(CODE, {"code": "000000"}))
    assert [r.status_code for r in responses] == [200, 200, HTTPStatus.TOO_MANY_REQUESTS]
    assert "1 attempt left" in responses[1].content.decode()
    assert lock_status(username="zhang.wei").locked
    reasons = list(
        AuditEvent.objects.filter(event="signin.failed").values_list("data__reason", flat=True)
    )
    assert reasons.count("bad_code") == 3
    # Locked: even the right code is refused, and the password step too.
    assert en.post(CODE, {"code": _code(device)}).status_code == HTTPStatus.FOUND  # start again
    assert sign_in(en, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_backup_code_works_once(user, clock):
    backup_codes_give(user, "abcd2345")
    first = browser()
    sign_in(first, "zhang.wei")
    assert first.post(CODE, {"code": "ABCD 2345"}).status_code == HTTPStatus.FOUND
    assert int(first.session["_auth_user_id"]) == user.pk
    second = browser()
    sign_in(second, "zhang.wei")
    clock.advance(seconds=5)
    assert second.post(CODE, {"code": "abcd2345"}).status_code == HTTPStatus.OK
    assert "_auth_user_id" not in second.session


def test_the_code_step_expires(en, user, device, clock):
    sign_in(en, "zhang.wei")
    clock.advance(minutes=6)
    response = en.post(CODE, {"code": _code(device)})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in en.session


def test_the_code_page_without_a_password_first_starts_again(en):
    assert en.get(CODE)["Location"] == "/accounts/login/"


@pytest.mark.parametrize(
    "code", ["", "12 34 56 78 90 12 34 56 78 90 12 34 56 78 90 12 34", "1234\x00", "一二三"]
)
def test_bad_codes_are_form_errors_not_attempts(en, user, device, code):
    sign_in(en, "zhang.wei")
    response = en.post(CODE, {"code": code})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert lock_status(username="zhang.wei").failures == 0


def test_a_signed_in_sessions_code_check_counts_first_and_stops_when_locked(
    en, user, device, clock
):
    """/account/two-step/verify/ (a signed-in session confirming itself, as staff do before
    /admin/) counts each code on the lockout counters before checking it, like the sign-in step:
    wrong codes lock, and a locked account's right code is refused unchecked."""
    from django_otp.plugins.otp_totp.models import TOTPDevice as Device

    en.force_login(user)
    verify = "/account/two-step/verify/"
    responses = []
    for _ in range(5):
        clock.advance(seconds=30)  # past django-otp's own throttle
        responses.append(en.post(verify, {"otp_token": "000000"}))
    assert [r.status_code for r in responses] == [HTTPStatus.BAD_REQUEST] * 4 + [
        HTTPStatus.TOO_MANY_REQUESTS
    ]
    assert "LK-" in responses[-1].content.decode()
    assert lock_status(username="zhang.wei").locked
    clock.advance(seconds=30)
    checked_before = Device.objects.get(pk=device.pk).throttling_failure_count
    response = en.post(verify, {"otp_token": _code(device)})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert Device.objects.get(pk=device.pk).throttling_failure_count == checked_before  # unchecked
    assert "otp_device_id" not in en.session  # the session stays unconfirmed
    assert AuditEvent.objects.filter(event="signin.refused").count() == 1
    assert AuditEvent.objects.filter(event="twostep.session_failed").count() == 6
