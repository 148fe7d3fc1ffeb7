"""Maintenance that blocks sign-in: 503 + Retry-After, no password checked; staff still get in."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from notices.models import Severity
from signin.selectors import lock_status
from tests.factories import DEFAULT_PASSWORD
from tests.notices.conftest import at
from tests.notices.factories import NoticeFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def blocking(clock):
    # 09:00 now; sign-in closed 08:30-09:25.
    return NoticeFactory(
        title_en="Directory migration",
        title_zh="目录迁移",
        message_en="Sign-in to all systems is paused.",
        severity=Severity.OUTAGE,
        starts_at=at(8, 30),
        ends_at=at(9, 25),
        blocks_signin=True,
    )


def test_login_page_explains_and_shows_recovery_time(blocking, en):
    response = en.get(LOGIN)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "Sign-in is closed for maintenance" in body
    assert "Directory migration" in body
    assert "expected back at 09:25 (in 25\xa0minutes)" in body
    assert 'name="password"' not in body  # nothing to type a password into
    assert response.context["signin_block_notice"].pk == blocking.pk


def test_login_page_in_chinese(blocking, zh):
    body = zh.get(LOGIN).content.decode()
    assert "目录迁移" in body
    assert "登录因维护暂时关闭" in body
    assert "预计 09:25 恢复（还有 25\xa0分钟）" in body


def test_sign_in_attempt_gets_503_retry_after_and_checks_no_password(
    blocking, en, user, counting_hasher
):
    counting_hasher.calls = 0
    for password in (DEFAULT_PASSWORD, "wrong password 1", "wrong password 2"):
        response = en.post(LOGIN, {"username": user.username, "password": password})
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response["Retry-After"] == str(25 * 60)
        assert "no-store" in response["Cache-Control"]
        assert "no password was checked" in response.content.decode()
    # Unknown accounts get exactly the same answer.
    response = en.post(LOGIN, {"username": "nobody.here", "password": "x" * 20})
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert counting_hasher.calls == 0
    assert not AccessAttempt.objects.exists()
    assert lock_status(username=user.username).failures == 0
    assert "_auth_user_id" not in en.session


def test_retry_after_covers_blocking_notices_that_follow_on(blocking, en, user):
    NoticeFactory(starts_at=at(9, 20), ends_at=at(10, 0), blocks_signin=True)
    response = en.post(LOGIN, {"username": user.username, "password": "x"})
    assert response["Retry-After"] == str(60 * 60)
    status = en.get("/api/status").json()
    assert status["signin"] == {
        "open": False,
        "reopens_at": "2026-11-24T10:00:00+08:00",
        "retry_after": 3600,
    }


def test_sign_in_opens_again_at_the_expected_end(blocking, clock, en, user, counting_hasher):
    clock.set(at(9, 25))
    counting_hasher.calls = 0
    response = en.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code != HTTPStatus.SERVICE_UNAVAILABLE
    assert counting_hasher.calls > 0
    assert "Sign-in is closed" not in en.get(LOGIN).content.decode()


def test_upcoming_or_non_blocking_notice_does_not_close_sign_in(clock, en, user):
    NoticeFactory(blocks_signin=True, starts_at=at(10), ends_at=at(11))
    NoticeFactory(blocks_signin=False, severity=Severity.OUTAGE)
    response = en.post(LOGIN, {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code != HTTPStatus.SERVICE_UNAVAILABLE


def test_staff_sign_in_at_admin_with_counting_intact(blocking, client, staff, counting_hasher):
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    counting_hasher.calls = 0
    admin_login = reverse("admin:login")
    response = client.post(
        admin_login, {"username": staff.username, "password": "not the password"}
    )
    assert response.status_code == HTTPStatus.OK  # the admin's own error page, not a 503
    assert counting_hasher.calls > 0  # the password was checked
    # ... and the failure counted toward the shared lockout counter.
    assert lock_status(username=staff.username).failures == 1
    assert "目录迁移" in response.content.decode()  # the banner is there too (in Chinese)

    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    response = client.post(
        admin_login,
        {
            "username": staff.username,
            "password": DEFAULT_PASSWORD,
            "otp_token": f"{token:06d}",
            "next": "/admin/",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(staff.pk)
    assert client.get("/admin/").status_code == HTTPStatus.OK  # in, two-step confirmed


def test_admin_banner_does_not_claim_passwords_go_unchecked(blocking, en):
    body = en.get(reverse("admin:login")).content.decode()
    assert "Staff sign-in here stays open, with the usual checks." in body
    assert "Nothing you type is checked" not in body
    assert "Nothing you type is checked" in en.get("/").content.decode()


@pytest.mark.parametrize("step", ["/accounts/login/code/", "/accounts/login/password/"])
def test_later_sign_in_steps_are_closed_too(blocking, en, counting_hasher, step):
    counting_hasher.calls = 0
    response = en.post(step, {"code": "123456", "new_password1": "x", "new_password2": "x"})
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert int(response["Retry-After"]) > 0
    assert counting_hasher.calls == 0
