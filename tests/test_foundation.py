"""The skeleton: configuration failures, home, health, language switch, the user model."""

from __future__ import annotations

import os
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from accounts.models import User
from accounts.roles import HELPDESK_AGENTS
from portal.net import client_ip
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_", "SECURE_", "PORTAL_"))
    }
    clean.pop("LANGUAGE_CODE", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_without_secret_exits_with_one_line():
    result = _manage("check", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "DJANGO_SECRET_KEY" in lines[0]


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"DATABASE_URL": "mysql//nonsense"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgres://u@h:99999/db"}, "DATABASE_URL"),
        ({"LANGUAGE_CODE": "klingon"}, "LANGUAGE_CODE"),
        ({"TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({"TRUSTED_PROXY_COUNT": "two"}, "TRUSTED_PROXY_COUNT"),
        ({"LOCKOUT_TRUSTED_NETWORKS": "10.0.0.0/99"}, "LOCKOUT_TRUSTED_NETWORKS"),
    ],
)
def test_bad_configuration_fails_fast_and_clearly(env, needle):
    result = _manage("check", DJANGO_DEBUG="1", **env)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert needle in result.stderr


PRODUCTION_ENV = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "x7" * 20 + "abcdefghijklmnop",
    "DJANGO_ALLOWED_HOSTS": "portal.example.cn",
    "PORTAL_BASE_URL": "https://portal.example.cn",
    "DATABASE_URL": "sqlite:///:memory:",
}


def test_deploy_check_is_clean_with_real_secret():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr + result.stdout


def test_earlier_secret_keys_are_read_for_a_rotation():
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY_FALLBACKS)",
        **PRODUCTION_ENV,
        DJANGO_SECRET_KEY_FALLBACKS=" old-key-one , old-key-two ",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['old-key-one', 'old-key-two']"


def test_home_offers_sign_in_and_help(client, db):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "/accounts/login/" in body
    assert "/help/" in body


def test_language_switch_changes_page_text(client, db):
    zh = client.get("/")
    assert "登录" in zh.content.decode()
    assert zh.headers["Content-Language"] == "zh-hans"
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    en = client.get("/")
    assert en.headers["Content-Language"] == "en"
    assert "Sign in" in en.content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "登录" in client.get("/").content.decode()


def test_healthz_reports_each_part(client, db):
    response = client.get("/healthz")
    assert response.status_code == HTTPStatus.OK
    data = response.json()
    assert set(data["checks"]) == {"database", "cache", "broker"}
    assert data["checks"]["database"]["ok"] is True


def test_healthz_is_503_when_the_database_is_down(client, db, monkeypatch):
    from django.db import connection

    def broken_cursor(*args, **kwargs):
        raise connection.Database.OperationalError("database is gone")

    with monkeypatch.context() as patch:
        patch.setattr(connection, "cursor", broken_cursor)
        response = client.get("/healthz")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json()["checks"]["database"]["ok"] is False


def test_admin_login_page_is_served(client, db):
    assert client.get("/admin/login/").status_code == HTTPStatus.OK


# --- The user model -------------------------------------------------------------------------
def test_usernames_and_emails_are_unique_case_insensitively(db):
    UserFactory(username="Wang.Fang", email="wang@corp.cn")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="wang.fang", email="other@corp.cn")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(username="someone", email="WANG@corp.cn")
    assert User.objects.get_by_natural_key("  WANG.FANG ").username == "Wang.Fang"


def test_employee_id_unique_only_when_set(db):
    UserFactory(employee_id=None)
    UserFactory(employee_id=None)
    UserFactory(employee_id="E1")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(employee_id="E1")


def test_phone_is_validated_and_stored_as_e164(db):
    user = UserFactory(phone="138 0013 8000")
    user.refresh_from_db()
    assert str(user.phone) == "+8613800138000"
    user.phone = "12345"
    with pytest.raises(ValidationError):
        user.full_clean(exclude=["password"])


def test_seed_demo_is_idempotent_and_prints_credentials(db, capsys):
    call_command("seed_demo")
    first = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == first
    out = capsys.readouterr().out
    assert "Demo-Portal-2026!" in out
    agent = User.objects.get(username="agent")
    assert agent.groups.filter(name=HELPDESK_AGENTS).exists()
    assert not agent.is_superuser
    employees = User.objects.filter(is_staff=False)
    assert employees.count() >= 3
    assert all(u.has_verified_email and u.has_verified_phone for u in employees)


# --- Client IP ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.9"),  # no proxy trusted: the header is ignored
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # forged left part is ignored
        (1, "", "10.0.0.9"),  # chain shorter than configured: someone bypassed the proxy
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.2", "1.2.3.4"),
        (1, "not-an-ip", "10.0.0.9"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxy_chain(settings, count, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=xff)
    assert client_ip(request) == expected


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [("娜", "李", "李娜"), ("Anna", "Li", "Anna Li"), ("", "王", "王"), ("Wei", "", "Wei")],
)
def test_full_names_follow_the_naming_order_of_their_script(first, last, expected):
    assert User(first_name=first, last_name=last).get_full_name() == expected


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        ("/account/", "/account/"),
        ("/tickets/status/abc/?x=1", "/tickets/status/abc/?x=1"),
        ("' OR 1=1 --", "/fallback/"),  # a bare word redirect() would try to reverse
        ("accounts:overview", "/fallback/"),
        ("//evil.example.com/", "/fallback/"),
        ("/\\evil.example.com", "/fallback/"),
        ("https://evil.example.com/", "/fallback/"),
        ("/a\x00b", "/fallback/"),
        ("", "/fallback/"),
        (None, "/fallback/"),
    ],
)
def test_next_parameters_only_lead_to_local_paths(candidate, expected):
    from portal.redirects import safe_next_url

    request = RequestFactory().get("/")
    assert safe_next_url(request, candidate, default="/fallback/") == expected


@pytest.mark.parametrize("path", ["/", "/admin/messaging/outboxmessage/", "/help/"])
def test_nul_in_the_query_string_is_a_400_before_any_view(client, db, path):
    response = client.get(path, {"q": "ab\x00cd"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "<h1>" in response.content.decode()


def test_unknown_pages_get_the_portal_404(client, db):
    response = client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "Page not found" in response.content.decode()
    assert 'href="/help/"' in response.content.decode()


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("filemail:///var/mail/portal", "/var/mail/portal"),
        ("filemail://var/mail", str(ROOT / "var/mail")),
    ],
)
def test_filemail_paths_read_as_written(url, path):
    from portal.env import email_from_url

    config = email_from_url(url, base_dir=ROOT)
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert config["EMAIL_FILE_PATH"] == path
