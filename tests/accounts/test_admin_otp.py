"""/admin/ only in a session confirmed by two-step sign-in; the password still goes through
authenticate() (the lockout counts there), and no device secret shows in admin pages."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import twostep
from signin.selectors import lock_status
from tests.factories import (
    DEFAULT_PASSWORD,
    StaffFactory,
    UserFactory,
    backup_codes_give,
    otp_force_login,
)

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=6):06d}"


@pytest.fixture
def en_client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_staff_signed_in_without_otp_cannot_open_the_admin(en_client, staff):
    en_client.force_login(staff)
    response = en_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/two-step/set-up/")
    assert en_client.get("/admin/tickets/ticket/").status_code == HTTPStatus.FOUND


def test_staff_with_a_device_but_unconfirmed_session_are_asked_for_a_code(en_client, staff):
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    en_client.force_login(staff)
    response = en_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/account/two-step/verify/?next=%2Fadmin%2F"
    response = en_client.post(
        "/account/two-step/verify/", {"otp_token": _code(device), "next": "/admin/"}
    )
    assert response.status_code == HTTPStatus.FOUND and response.url == "/admin/"
    assert en_client.get("/admin/").status_code == HTTPStatus.OK


def test_admin_login_asks_for_the_code_after_the_password(en_client, clock):
    staff = StaffFactory(username="agent.one", is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    response = en_client.post(LOGIN, {"username": "agent.one", "password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.OK
    assert "Enter the code from your authenticator app" in response.content.decode()
    assert en_client.get("/admin/").status_code == HTTPStatus.FOUND
    response = en_client.post(
        LOGIN,
        {"username": "agent.one", "password": DEFAULT_PASSWORD, "otp_token": _code(device)},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert en_client.get("/admin/").status_code == HTTPStatus.OK


def test_wrong_passwords_at_the_admin_count_toward_the_lockout(en_client, clock):
    StaffFactory(username="agent.one")
    for _ in range(settings.LOCKOUT_FAILURE_LIMIT):
        en_client.post(LOGIN, {"username": "agent.one", "password": "wrong password here"})
    assert lock_status(username="agent.one").locked


def test_wrong_codes_at_the_admin_count_toward_the_lockout(en_client, clock):
    staff = StaffFactory(username="agent.one")
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    wrong = f"{(int(_code(device)) + 1) % 10**6:06d}"
    for _ in range(settings.LOCKOUT_FAILURE_LIMIT):
        response = en_client.post(
            LOGIN, {"username": "agent.one", "password": DEFAULT_PASSWORD, "otp_token": wrong}
        )
        assert response.status_code != HTTPStatus.FOUND
        clock.advance(seconds=40)
    assert lock_status(username="agent.one").locked


def test_staff_without_a_device_are_led_to_enrol_then_reach_the_admin(en_client, clock):
    StaffFactory(username="agent.one")
    response = en_client.post(
        LOGIN, {"username": "agent.one", "password": DEFAULT_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == HTTPStatus.FOUND
    response = en_client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/account/two-step/set-up/?next=%2Fadmin%2F"
    assert "<svg" in response.content.decode()  # the QR code, drawn here
    device = TOTPDevice.objects.get(confirmed=False)
    response = en_client.post(
        "/account/two-step/set-up/", {"code": _code(device), "next": "/admin/"}
    )
    assert response.status_code == HTTPStatus.FOUND
    backup = en_client.get(response.url)
    assert backup.status_code == HTTPStatus.OK
    assert en_client.get("/admin/").status_code == HTTPStatus.OK


def test_non_staff_never_reach_the_admin_even_with_otp(en_client):
    user = UserFactory()
    otp_force_login(en_client, user)
    assert en_client.get("/admin/").status_code == HTTPStatus.FOUND


def test_device_secrets_never_show_in_admin_pages(en_client):
    admin = StaffFactory(username="root.admin", is_superuser=True)
    otp_force_login(en_client, admin)
    person = UserFactory(username="zhang.wei")
    device = twostep.totp_enroll_start(user=person)
    device.confirmed = True
    device.save()
    static = backup_codes_give(person, "abcd2345")
    secrets = [device.key, twostep.secret_b32(device), "abcd2345"]
    pages = [
        "/admin/otp_totp/totpdevice/",
        f"/admin/otp_totp/totpdevice/{device.pk}/change/",
        "/admin/otp_static/staticdevice/",
        f"/admin/otp_static/staticdevice/{static.pk}/change/",
    ]
    for url in pages:
        response = en_client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        body = response.content.decode()
        for secret in secrets:
            assert secret not in body, url
    for url in (
        f"/admin/otp_totp/totpdevice/{device.pk}/config/",
        f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/",
        "/admin/accounts/contactcodedevice/",
    ):
        assert en_client.get(url).status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.FOUND), url


def test_wrong_codes_at_the_admin_login_lock_at_the_limit_like_wrong_passwords(en_client, clock):
    """The right password's count is given back before the code is counted: the fifth wrong
    code locks, not the fourth."""
    from audit.models import AuditEvent
    from signin.selectors import lock_status

    staff = StaffFactory(username="agent.one")
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    statuses = []
    for _ in range(5):
        clock.advance(seconds=30)  # past django-otp's own throttle
        form = {"username": "agent.one", "password": DEFAULT_PASSWORD, "otp_token": "000000"}
        statuses.append(en_client.post(LOGIN, form).status_code)
    assert statuses == [HTTPStatus.OK] * 4 + [HTTPStatus.TOO_MANY_REQUESTS]
    failures = AuditEvent.objects.filter(event="signin.failed").order_by("id")
    assert [e.data["failure"] for e in failures] == [1, 2, 3, 4, 5]
    assert {e.data["reason"] for e in failures} == {"bad_code"}
    assert lock_status(username="agent.one").locked


@pytest.mark.parametrize("during_maintenance", [False, True])
def test_an_expired_password_at_the_admin_login_leads_to_the_forced_change(
    en_client, clock, settings, during_maintenance
):
    """As on the site: the right but expired password (with its code) is not let in, is never a
    failure, and leads to the change page; the new password lands in the admin, confirmed. The
    admin door is never closed by a sign-in block, so neither is this change."""
    from datetime import timedelta

    from audit.models import AuditEvent
    from tests.notices.factories import NoticeFactory

    settings.PASSWORD_MAX_AGE_DAYS = 90
    staff = StaffFactory(username="agent.one", is_superuser=True)
    staff.password_changed_at = clock.now() - timedelta(days=91)
    staff.save()
    device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    if during_maintenance:
        NoticeFactory(blocks_signin=True)
    form = {"username": "agent.one", "password": DEFAULT_PASSWORD, "otp_token": _code(device)}
    response = en_client.post(f"{LOGIN}?next=/admin/audit/", {**form, "next": "/admin/audit/"})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/login/password/"
    assert en_client.get("/admin/").status_code == HTTPStatus.FOUND  # not in yet
    page = en_client.get("/accounts/login/password/")
    assert (
        page.status_code == HTTPStatus.OK and "Your password has expired" in page.content.decode()
    )
    new = "a fresh passphrase for winter"
    done = en_client.post("/accounts/login/password/", {"new_password1": new, "new_password2": new})
    assert done.status_code == HTTPStatus.FOUND and done["Location"] == "/admin/audit/"
    assert en_client.get("/admin/").status_code == HTTPStatus.OK  # signed in and confirmed
    staff.refresh_from_db()
    assert staff.check_password(new)
    assert not AuditEvent.objects.filter(event="signin.failed").exists()
    assert lock_status(username="agent.one").failures == 0


def test_an_expired_password_of_staff_without_a_device_also_leads_to_the_change(
    en_client, clock, settings
):
    from datetime import timedelta

    settings.PASSWORD_MAX_AGE_DAYS = 90
    staff = StaffFactory(username="agent.two")
    staff.password_changed_at = clock.now() - timedelta(days=91)
    staff.save()
    response = en_client.post(LOGIN, {"username": "agent.two", "password": DEFAULT_PASSWORD})
    assert response["Location"] == "/accounts/login/password/"
    new = "a fresh passphrase for winter"
    done = en_client.post("/accounts/login/password/", {"new_password1": new, "new_password2": new})
    assert done.status_code == HTTPStatus.FOUND
    response = en_client.get("/admin/", follow=True)  # then, as before, set up two-step first
    assert response.redirect_chain[-1][0].startswith("/account/two-step/set-up/")
