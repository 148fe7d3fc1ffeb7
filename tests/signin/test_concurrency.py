"""Counting is atomic on PostgreSQL: 50 concurrent wrong passwords for one account lock it, and
at most LOCKOUT_FAILURE_LIMIT of them (documented slack: 0) reach the password hasher."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest

from audit.models import AuditEvent
from signin.models import Lock
from signin.selectors import lock_status
from tests.concurrency import at_once
from tests.factories import UserFactory
from tests.signin.conftest import WRONG, browser, hashers_set, post_login
from tests.signin.hashers import CountingHasher

THREADS = 50
SLACK = 0  # see signin/lockout.py: attempts are counted under a row lock before hashing


class ThreadSafeCountingHasher(CountingHasher):
    """Counts every hash across threads (MD5's verify calls encode: counted once)."""

    _lock = threading.Lock()
    _local = threading.local()

    @classmethod
    def _count(cls) -> None:
        with cls._lock:
            CountingHasher.calls += 1

    def verify(self, password, encoded):
        self._count()
        self._local.inside = True
        try:
            return super(CountingHasher, self).verify(password, encoded)
        finally:
            self._local.inside = False

    def encode(self, password, salt):
        if not getattr(self._local, "inside", False):
            self._count()
        return super(CountingHasher, self).encode(password, salt)


def _storm(username: str, *, ips: list[str]) -> list[int]:
    def one(n: int, start) -> int:
        client = browser(REMOTE_ADDR=ips[n % len(ips)])
        start()
        return post_login(client, username, WRONG).status_code

    return at_once(THREADS, one)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_wrong_passwords_lock_the_account_and_hash_at_most_the_limit(settings):
    hashers_set(settings, f"{__name__}.ThreadSafeCountingHasher")
    UserFactory(username="zhang.wei")
    CountingHasher.calls = 0
    statuses = _storm("zhang.wei", ips=[f"203.0.113.{n}" for n in range(1, 11)])
    limit = settings.LOCKOUT_FAILURE_LIMIT
    assert len(statuses) == THREADS
    assert CountingHasher.calls <= limit + SLACK
    assert CountingHasher.calls == limit  # exactly: every counted attempt was checked
    # The 5th checked attempt gets the lock page; attempts that arrived while the last allowed
    # ones were still being checked were refused unhashed, as plain failures or with the lock page.
    assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS}
    assert statuses.count(HTTPStatus.TOO_MANY_REQUESTS) >= 1
    refused = AuditEvent.objects.filter(event="signin.refused").count()
    assert AuditEvent.objects.filter(event="signin.failed").count() == limit
    assert refused == THREADS - limit
    status = lock_status(username="zhang.wei")
    assert status.locked and status.failures == limit
    assert Lock.objects.count() == 1
    # And once locked, a later attempt is refused without hashing.
    assert post_login(browser(), "zhang.wei", WRONG).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert CountingHasher.calls == limit


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_attempts_from_one_ip_count_exactly(settings):
    hashers_set(settings, f"{__name__}.ThreadSafeCountingHasher")
    settings.LOCKOUT_IP_FAILURE_LIMIT = 20
    CountingHasher.calls = 0
    statuses = _storm_many_names()
    assert CountingHasher.calls == 20
    assert statuses.count(HTTPStatus.TOO_MANY_REQUESTS) >= 1
    assert Lock.objects.filter(scope="ip").count() == 1
    assert AuditEvent.objects.filter(event="signin.failed").count() == 20


def _storm_many_names() -> list[int]:
    def one(n: int, start) -> int:
        client = browser(REMOTE_ADDR="198.51.100.99")
        start()
        return post_login(client, f"person{n}", WRONG).status_code

    return at_once(THREADS, one)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_codes_at_the_admin_login_check_at_most_the_limit(settings, monkeypatch):
    """The right password with wrong authenticator codes, all at once, at /admin/login/: each
    code is counted before it is checked, so no more than the limit are checked."""
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts import twostep
    from tests.factories import DEFAULT_PASSWORD, StaffFactory

    staff = StaffFactory(username="agent.one")
    TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
    checked, lock = [], threading.Lock()
    real = twostep.second_factor_match

    def counted(**kwargs):
        with lock:
            checked.append(1)
        return real(**kwargs)

    monkeypatch.setattr(twostep, "second_factor_match", counted)

    def one(n: int, start) -> int:
        client = Client(REMOTE_ADDR=f"203.0.113.{n + 1}", HTTP_ACCEPT_LANGUAGE="en")
        form = {"username": "agent.one", "password": DEFAULT_PASSWORD, "otp_token": "000000"}
        start()
        return client.post("/admin/login/", form).status_code

    statuses = at_once(30, one)
    limit = settings.LOCKOUT_FAILURE_LIMIT
    assert 1 <= len(checked) <= limit
    assert set(statuses) <= {HTTPStatus.OK, HTTPStatus.TOO_MANY_REQUESTS}
    assert lock_status(username="agent.one").locked
