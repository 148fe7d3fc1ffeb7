"""``migrate`` alone, on a fresh SQLite database and no Redis (the README's production steps
without REDIS_URL), leaves the database cache's table and a reset that answers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CHECK = """
from django.db import connection
from django.test import Client
from accounts.models import User
print("table", "portal_cache" in connection.introspection.table_names())
User.objects.create_user(username="zhang.wei", email="zhang.wei@corp.example.cn")
data = {"identifier": "zhang.wei", "channel": "email"}
response = Client().post("/accounts/password/reset/", data)
print("reset", response.status_code)
"""


def _manage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_", "PORTAL_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="migrate-only-test-" + "k3y" * 20,
        DJANGO_ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        PORTAL_VAR_DIR=str(tmp_path),
        EMAIL_URL="consolemail://",
        LOG_LEVEL="ERROR",
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_migrate_alone_creates_the_cache_table_and_a_reset_answers(tmp_path):
    migrated = _manage(tmp_path, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr[-2000:]
    checked = _manage(tmp_path, "shell", "-c", CHECK)
    assert checked.returncode == 0, checked.stderr[-2000:]
    assert "table True" in checked.stdout
    assert "reset 302" in checked.stdout, checked.stderr[-2000:]
