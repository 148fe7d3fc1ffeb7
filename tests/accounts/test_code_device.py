"""The code device itself: hashed at rest, constant-time single use, expiry, 5 tries."""

from __future__ import annotations

import pytest
from django_otp import devices_for_user

from accounts.codes import code_normalize
from accounts.models import ContactCodeDevice


@pytest.fixture
def device(user):
    return ContactCodeDevice.objects.create(
        user=user,
        name="t",
        purpose="caller_verify",
        channel="email",
        address=user.email,
        confirmed=False,
    )


def test_only_a_hash_is_stored_and_code_is_single_use(device, clock):
    code = device.generate_token()
    device.refresh_from_db()
    assert len(code) == 6 and code.isdigit()
    assert device.token is None
    assert code not in device.token_hash and len(device.token_hash) == 64
    assert device.verify_token(code) is True
    assert device.verify_token(code) is False


def test_code_expires_at_ten_minutes(device, clock):
    code = device.generate_token()
    clock.advance(minutes=9, seconds=59)
    assert device.verify_token(code) is True
    code = device.generate_token()
    clock.advance(minutes=10)
    assert device.verify_token(code) is False


def test_five_wrong_tries_kill_the_code_even_across_resends(device, clock):
    code = device.generate_token()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert device.verify_token(wrong) is False
    code = device.generate_token()  # a resend keeps the count
    assert device.verify_token(wrong) is False
    assert device.verify_token(code) is False
    assert device.throttling_failure_count == 5


def test_a_code_is_bound_to_its_device(user, device, clock):
    other = ContactCodeDevice.objects.create(
        user=user,
        name="t",
        purpose="reset_other",
        channel="email",
        address=user.email,
        confirmed=False,
    )
    code = device.generate_token()
    assert other.verify_token(code) is False
    assert device.verify_token(code) is True


def test_code_devices_are_never_sign_in_factors(device):
    device.generate_token()
    assert list(devices_for_user(device.user)) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("123456", "123456"),
        (" 123 456 ", "123456"),
        ("１２３４５６", "123456"),
        ("123-456", "123456"),
        ("12345a", None),
        ("abcdef", None),
        ("1234567", None),
        ("12\x0034", None),
        ("9" * 10_000, None),
        ("٣٤٥٦٧٨", None),
    ],
)
def test_code_normalize(raw, expected):
    assert code_normalize(raw) == expected
