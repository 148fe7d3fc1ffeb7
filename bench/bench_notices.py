"""Notices: what the banner costs per page, cold and warm, and what the maintenance guard saves.

Standalone: sets up Django with the test settings (locmem cache, or Redis with REDIS_URL; SQLite,
or PostgreSQL with DATABASE_URL) on a throwaway database, prints numbers and ratios.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def per_call(fn, n: int) -> float:
    """Median of 5 runs of n calls, in microseconds per call."""
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(n):
            fn()
        runs.append((time.perf_counter() - started) / n * 1e6)
    return statistics.median(runs)


def main() -> None:
    from django.core.cache import cache
    from django.utils import timezone

    from accounts.models import User
    from notices.models import Severity
    from notices.selectors import CACHE_KEY, notices_window
    from notices.services import notice_create

    now = timezone.now()
    for i, severity in enumerate([Severity.INFO, Severity.WARNING, Severity.OUTAGE] * 2):
        notice_create(
            actor=None,
            title_zh=f"维护 {i}",
            title_en=f"Maintenance {i}",
            message_zh="系统升级。" * 20,
            message_en="System upgrade. " * 20,
            severity=severity,
            starts_at=now - timedelta(minutes=10) + timedelta(hours=i * 3),
            ends_at=now + timedelta(hours=i * 3 + 1),
        )

    def cold():
        cache.delete(CACHE_KEY)
        notices_window()

    cold_us = per_call(cold, 300)
    warm_us = per_call(notices_window, 3000)
    print(f"cache backend: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}")
    print(f"database: {connection.vendor}")
    print(f"notices_window, cold (DB + cache set): {cold_us:8.1f} us/call")
    print(f"notices_window, warm (cache only):     {warm_us:8.1f} us/call")
    print(f"  cold/warm ratio: {cold_us / warm_us:.1f}x")

    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/")
    page_us = per_call(lambda: client.get("/"), 100)
    print(
        f"home page with 6 notices in the window, warm: {page_us / 1000:.2f} ms/request, "
        f"{len(queries)} DB queries"
    )

    # The guard: a sign-in attempt during a blocking notice vs. one that hashes (Argon2id).
    settings.PASSWORD_HASHERS = ["accounts.hashers.PortalArgon2PasswordHasher"]
    from django.contrib.auth.hashers import get_hashers

    get_hashers.cache_clear()
    password = "correct horse battery staple"
    user = User.objects.create_user("bench.user", password=password)

    def attempt():
        # A fresh browser each time; the right password, so no lockout interferes.
        Client().post("/accounts/login/", {"username": user.username, "password": password})

    open_ms = per_call(attempt, 4) / 1000
    notice_create(
        actor=None,
        title_zh="登录暂停",
        title_en="Sign-in paused",
        severity=Severity.OUTAGE,
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        blocks_signin=True,
    )
    response = Client().post("/accounts/login/", {"username": user.username, "password": "x"})
    blocked_ms = per_call(attempt, 50) / 1000
    print(f"sign-in POST, open (Argon2id verify + session): {open_ms:7.2f} ms")
    print(
        f"sign-in POST, maintenance guard 503:            {blocked_ms:7.2f} ms "
        f"(status {response.status_code}, Retry-After {response.get('Retry-After')})"
    )
    print(f"  guard is {open_ms / blocked_ms:.0f}x cheaper per attempt")


if __name__ == "__main__":
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
