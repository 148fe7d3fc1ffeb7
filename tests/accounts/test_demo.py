"""The demo data lets staff reach the admin: a confirmed authenticator, its key printed."""

from __future__ import annotations

from http import HTTPStatus
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.management.commands.seed_demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_staff_an_authenticator_and_they_reach_the_admin():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    call_command("seed_demo", stdout=StringIO())  # idempotent: same device
    text = out.getvalue()
    assert "DEMO ONLY" in text and "otpauth://totp/" in text
    device = TOTPDevice.objects.get(user__username="admin", confirmed=True)
    assert TOTPDevice.objects.filter(user__username="agent", confirmed=True).count() == 1
    client = Client()
    code = f"{totp(device.bin_key, step=30, t0=0, digits=6):06d}"
    response = client.post(
        "/admin/login/", {"username": "admin", "password": DEMO_PASSWORD, "otp_token": code}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/admin/").status_code == HTTPStatus.OK


def test_demo_totp_refuses_outside_debug():
    from django.core.management.base import CommandError

    call_command("seed_demo", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("demo_totp", "agent", stdout=StringIO())
