"""Backup codes are stored only as keyed digests, work once, survive a key rotation, and codes
stored as they were before the change are hashed by migration ``accounts.0007``."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from accounts.backup_codes import backup_code_digest, backup_code_use, backup_codes_replace
from accounts.twostep import second_factor_match
from tests.factories import UserFactory, backup_codes_give

pytestmark = pytest.mark.django_db


def _use(user, typed: str):
    with transaction.atomic():
        device, _throttled = second_factor_match(user=user, token=typed)
    return device


def test_new_codes_are_stored_as_digests_and_each_works_once():
    user = UserFactory()
    codes = backup_codes_replace(user=user, name="backup", count=10)
    assert len(set(codes)) == 10
    stored = set(StaticToken.objects.values_list("token", flat=True))
    assert not stored & set(codes) and len(stored) == 10
    typed = f" {codes[3][:4].upper()}-{codes[3][4:]} "  # case, spaces and dashes aside
    assert isinstance(_use(user, typed), StaticDevice)
    assert _use(user, codes[3]) is None  # used up
    assert StaticToken.objects.count() == 9


def test_a_stored_digest_typed_as_a_code_is_refused_and_throttled(clock):
    user = UserFactory()
    device = backup_codes_give(user, "abcd2345")
    digest = StaticToken.objects.get().token
    assert _use(user, digest) is None
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    with transaction.atomic():
        assert not backup_code_use(device=device, code="abcd2345")  # throttled for now
    assert StaticToken.objects.count() == 1


def test_codes_keep_working_after_the_secret_key_is_rotated(settings):
    user = UserFactory()
    backup_codes_give(user, "abcd2345", "efgh6723")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert _use(user, "abcd2345") is not None
    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: codes made under it are gone
    assert _use(user, "efgh6723") is None


def test_the_migration_hashes_codes_stored_as_they_were():
    user = UserFactory()
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")  # as django-otp stores it
    StaticToken.objects.create(device=device, token=backup_code_digest("efgh6723"))
    migration = importlib.import_module("accounts.migrations.0007_backup_codes_hashed")
    migration.hash_stored_codes(apps, None)
    assert set(StaticToken.objects.values_list("token", flat=True)) == {
        backup_code_digest("abcd2345"),
        backup_code_digest("efgh6723"),
    }
    assert _use(user, "abcd2345") is not None and _use(user, "efgh6723") is not None
