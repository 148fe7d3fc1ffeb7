"""Every door asks for the second step whenever the site's sign-in would: an account left with
backup codes only (its authenticator removed by an admin) still needs one at /admin/login/."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from tests.factories import DEFAULT_PASSWORD, StaffFactory, backup_codes_give

pytestmark = pytest.mark.django_db


def test_backup_codes_only_still_guard_the_admin_login(clock):
    staff = StaffFactory(username="agent.two")
    backup_codes_give(staff, "abcd2345")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/admin/login/", {"username": "agent.two", "password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.OK
    assert SESSION_KEY not in client.session  # not signed in on the site either
    response = client.post(
        "/admin/login/",
        {"username": "agent.two", "password": DEFAULT_PASSWORD, "otp_token": "abcd2345"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/admin/").status_code == HTTPStatus.OK
