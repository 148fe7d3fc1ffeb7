"""Shared fixtures: a fake clock, service detection, factories, and the CI "nothing skips" rule.

Markers: ``postgres`` (the test database must be PostgreSQL: set DATABASE_URL), ``redis``
(REDIS_URL must answer), ``browser`` (Debian's Chromium and Playwright), ``node`` (Node.js and
the relying party's npm packages in tests/sso/rp). Without the service the
test skips with a printed reason; with ``PORTAL_REQUIRE_ALL=1`` (set by ``.ci/run``) any skip fails.
"""

from __future__ import annotations

import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connections

from tests.factories import StaffFactory, SuperuserFactory, UserFactory

CHROMIUM = "/usr/bin/chromium"


def _redis_reason() -> str | None:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return "REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as exc:
        return f"Redis at REDIS_URL does not answer ({exc.__class__.__name__})"
    return None


def _browser_reason() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    return None


SSO_RP = os.path.join(os.path.dirname(__file__), "sso", "rp")


def _node_reason() -> str | None:
    import shutil

    if shutil.which("node") is None:
        return "node is missing (Debian's nodejs, 20 or later)"
    if not os.path.isdir(os.path.join(SSO_RP, "node_modules", "openid-client")):
        return "tests/sso/rp has no node_modules (run: npm ci --prefix tests/sso/rp)"
    return None


def _postgres_reason() -> str | None:
    if connections["default"].vendor != "postgresql":
        return "DATABASE_URL does not point at PostgreSQL"
    return None


def pytest_collection_modifyitems(config, items):
    reasons = {
        "postgres": _postgres_reason(),
        "redis": _redis_reason(),
        "browser": _browser_reason(),
        "node": _node_reason(),
    }
    for item in items:
        for marker, reason in reasons.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=f"[{marker}] {reason}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("PORTAL_REQUIRE_ALL") == "1" and report.skipped:
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may skip: {report.longrepr}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """One test database per run, so parallel runs on one PostgreSQL server never collide."""
    db = settings.DATABASES["default"]
    if connections["default"].vendor == "postgresql":
        db.setdefault("TEST", {})
        db["TEST"]["NAME"] = f"test_{db['NAME']}_{os.getpid()}"


# --- Time -----------------------------------------------------------------------------------
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """A fake clock: ``clock.advance(seconds=...)`` moves time; nothing ever sleeps."""

    def __init__(self, traveller):
        self._traveller = traveller

    def advance(self, **delta):
        from datetime import timedelta

        self._traveller.shift(timedelta(**delta))

    def set(self, when: datetime):
        self._traveller.move_to(when)

    def now(self) -> datetime:
        from django.utils import timezone

        return timezone.now()


@pytest.fixture
def clock():
    with time_machine.travel(datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI), tick=False) as t:
        yield Clock(t)


# --- Data -----------------------------------------------------------------------------------
@pytest.fixture
def user(db):
    return UserFactory(username="zhang.wei")


@pytest.fixture
def staff(db):
    return StaffFactory(username="agent.one")


@pytest.fixture
def superuser(db):
    return SuperuserFactory(username="root.admin")


def clear_cache() -> None:
    """Empty this run's cache. On Redis only this run's keys go: never FLUSHDB a shared server."""
    from django.core.cache import cache

    location = settings.CACHES["default"]
    if location["BACKEND"].endswith("RedisCache"):
        client = cache.client()
        for key in client.scan_iter(match=f"{location['KEY_PREFIX']}:*", count=1000):
            client.delete(key)
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _clear_cache():
    clear_cache()
    yield


@pytest.fixture(autouse=True)
def _clear_sms_outbox():
    """``messaging.sms.outbox`` (the locmem SMS backend) starts empty in every test, like
    ``django.core.mail.outbox``."""
    from messaging import sms

    sms.outbox.clear()
    yield


@pytest.fixture
def real_hasher(settings):
    settings.PASSWORD_HASHERS = ["accounts.hashers.PortalArgon2PasswordHasher"]
