"""/api/lock-status: whether an account is locked, for trusted systems with the shared secret."""

from __future__ import annotations

import math
from http import HTTPStatus

import pytest
from django.utils.timezone import localtime

from audit.models import AuditEvent
from signin.selectors import lock_status

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-the-crm-" + "x" * 30


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


def test_deploy_check_warns_about_a_weak_lock_status_secret(settings):
    from signin.checks import lock_status_secret_check

    settings.LOCK_STATUS_API_SECRET = ""
    assert lock_status_secret_check(None) == []
    settings.LOCK_STATUS_API_SECRET = "crm"
    assert [w.id for w in lock_status_secret_check(None)] == ["signin.W001"]
    settings.LOCK_STATUS_API_SECRET = SECRET
    assert lock_status_secret_check(None) == []
