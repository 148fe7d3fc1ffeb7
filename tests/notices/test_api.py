"""/api/status and /api/lock-status."""

from __future__ import annotations

import math
from http import HTTPStatus

import pytest
from django.utils.timezone import localtime

from audit.models import AuditEvent
from notices.models import Severity
from signin.selectors import lock_status
from tests.notices.conftest import at
from tests.notices.factories import NoticeFactory

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-crm-" + "x" * 30


def test_status_json_shape(clock, client):
    active = NoticeFactory(
        title_zh="邮件系统维护",
        title_en="Mail maintenance",
        message_zh="",
        message_en="Mail is slow.",
        severity=Severity.WARNING,
        starts_at=at(8, 30),
        ends_at=at(9, 25),
    )
    upcoming = NoticeFactory(
        title_en="CRM upgrade",
        severity=Severity.OUTAGE,
        starts_at=at(22),
        ends_at=at(23, 30),
        blocks_signin=True,
    )
    NoticeFactory(title_en="Draft", published=False)
    response = client.get("/api/status")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert "max-age=5" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    assert response.json() == {
        "server_time": "2026-11-24T09:00:00+08:00",
        "server_time_ms": int(clock.now().timestamp() * 1000),
        "time_zone": "Asia/Shanghai",
        "signin": {"open": True, "reopens_at": None, "retry_after": None},
        "active": [
            {
                "id": active.pk,
                "severity": "warning",
                "title": {"zh-hans": "邮件系统维护", "en": "Mail maintenance"},
                # An empty Chinese message falls back to the English one.
                "message": {"zh-hans": "Mail is slow.", "en": "Mail is slow."},
                "starts_at": "2026-11-24T08:30:00+08:00",
                "ends_at": "2026-11-24T09:25:00+08:00",
                "blocks_signin": False,
                "disruptive": True,
            }
        ],
        "upcoming": [
            {
                "id": upcoming.pk,
                "severity": "outage",
                "title": {"zh-hans": upcoming.title_zh, "en": "CRM upgrade"},
                "message": {"zh-hans": "CRM 升级。", "en": "CRM upgrade."},
                "starts_at": "2026-11-24T22:00:00+08:00",
                "ends_at": "2026-11-24T23:30:00+08:00",
                "blocks_signin": True,
                "disruptive": True,
            }
        ],
    }


def test_status_follows_the_clock(clock, client):
    NoticeFactory(starts_at=at(9, 30), ends_at=at(10), blocks_signin=True)
    assert client.get("/api/status").json()["signin"]["open"] is True
    clock.set(at(9, 45))
    body = client.get("/api/status").json()
    assert body["signin"]["open"] is False
    assert body["signin"]["retry_after"] == 15 * 60
    assert len(body["active"]) == 1
    assert body["upcoming"] == []
    clock.set(at(10))
    body = client.get("/api/status").json()
    assert body["signin"]["open"] is True
    assert body["active"] == body["upcoming"] == []


def test_status_is_get_only(client):
    assert client.post("/api/status").status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- /api/lock-status ------------------------------------------------------------------------
@pytest.fixture
def secret(settings):
    settings.LOCK_STATUS_API_SECRET = SECRET
    return SECRET


def lock(username: str):
    """Lock an account the real way: enough wrong passwords at the sign-in page."""
    from django.conf import settings
    from django.test import Client

    browser = Client()
    for _ in range(settings.LOCKOUT_FAILURE_LIMIT):
        browser.post("/accounts/login/", {"username": username, "password": "wrong password!"})


def test_lock_status_off_without_a_configured_secret(client, settings, user):
    settings.LOCK_STATUS_API_SECRET = ""
    response = client.get("/api/lock-status", {"username": user.username})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert response.json()["error"] == "not_found"


@pytest.mark.parametrize("header", [None, "", "wrong", SECRET[:-1], SECRET + "x", "秘密"])
def test_lock_status_refuses_without_the_secret_and_reveals_nothing(
    clock, client, secret, user, header
):
    lock(user.username)
    headers = {} if header is None else {"X-Portal-Secret": header}
    answers = []
    for username in (user.username, "nobody.at.all", "x" * 10_000):
        response = client.get("/api/lock-status", {"username": username}, headers=headers)
        assert response.status_code == HTTPStatus.UNAUTHORIZED
        answers.append(response.content)
    assert len(set(answers)) == 1  # same body whoever was asked about
    assert b"locked" not in answers[0]
    assert AuditEvent.objects.filter(event="notices.lock_status_refused").count() == 3


def test_lock_status_answers_with_the_secret(clock, client, secret, user):
    headers = {"X-Portal-Secret": SECRET}
    response = client.get("/api/lock-status", {"username": user.username}, headers=headers)
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "username": user.username,
        "locked": False,
        "locked_until": None,
        "retry_after": None,
        "reference": None,
    }
    assert "no-store" in response["Cache-Control"]

    lock(user.username)
    body = client.get("/api/lock-status", {"username": user.username}, headers=headers).json()
    assert body["locked"] is True
    state = lock_status(username=user.username)
    assert state.locked
    assert body["locked_until"] == localtime(state.locked_until).isoformat(timespec="seconds")
    assert body["locked_until"].endswith("+08:00")
    assert body["reference"] == state.reference
    assert body["retry_after"] == math.ceil((state.locked_until - clock.now()).total_seconds())


def test_lock_status_unknown_name_looks_like_an_unlocked_one(clock, client, secret):
    headers = {"X-Portal-Secret": SECRET}
    body = client.get("/api/lock-status", {"username": "no.such.person"}, headers=headers).json()
    assert body == {
        "username": "no.such.person",
        "locked": False,
        "locked_until": None,
        "retry_after": None,
        "reference": None,
    }


@pytest.mark.parametrize(
    ("username", "needle"),
    [
        ("x" * 10_000, "too long"),
        ("", "required"),
        ("   ", "required"),
        ("zhang\x1bwei", "control characters"),
        (None, "required"),
    ],
)
def test_lock_status_bad_username_is_a_clear_400(client, secret, username, needle):
    params = {} if username is None else {"username": username}
    response = client.get("/api/lock-status", params, headers={"X-Portal-Secret": SECRET})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_username"
    assert needle in response.json()["detail"]


def test_lock_status_nul_in_the_query_is_a_json_400_before_the_api(client, secret):
    response = client.get(
        "/api/lock-status", {"username": "zhang\x00wei"}, headers={"X-Portal-Secret": SECRET}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_request"
    assert "control characters" in response.json()["detail"]


def test_lock_status_is_rate_limited_per_client(clock, client, secret, settings):
    settings.LOCK_STATUS_API_RATE_PER_MINUTE = 3
    headers = {"X-Portal-Secret": SECRET}
    codes = [
        client.get("/api/lock-status", {"username": "a"}, headers=headers).status_code
        for _ in range(4)
    ]
    assert codes == [HTTPStatus.OK] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    clock.advance(seconds=61)
    response = client.get("/api/lock-status", {"username": "a"}, headers=headers)
    assert response.status_code == HTTPStatus.OK


def test_lock_status_slows_down_secret_guessing(clock, client, secret, settings):
    settings.LOCK_STATUS_API_BAD_SECRET_LIMIT = 3
    guess, right = {"X-Portal-Secret": "guess"}, {"X-Portal-Secret": SECRET}
    for _ in range(3):
        response = client.get("/api/lock-status", {"username": "a"}, headers=guess)
        assert response.status_code == HTTPStatus.UNAUTHORIZED
    # Now even the right secret waits: guessing from this address has to stop.
    response = client.get("/api/lock-status", {"username": "a"}, headers=right)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Retry-After"] == "600"
    assert AuditEvent.objects.filter(event="notices.lock_status_refused").count() == 3
    clock.advance(minutes=10, seconds=1)
    response = client.get("/api/lock-status", {"username": "a"}, headers=right)
    assert response.status_code == HTTPStatus.OK


def test_status_answers_head_for_monitoring(client):
    assert client.head("/api/status").status_code == HTTPStatus.OK


def test_deploy_check_warns_about_a_weak_lock_status_secret(settings):
    from notices.checks import lock_status_secret_check

    settings.LOCK_STATUS_API_SECRET = ""
    assert lock_status_secret_check(None) == []
    settings.LOCK_STATUS_API_SECRET = "crm"
    assert [w.id for w in lock_status_secret_check(None)] == ["notices.W001"]
    settings.LOCK_STATUS_API_SECRET = SECRET
    assert lock_status_secret_check(None) == []
