"""/api/status (/api/lock-status is the sign-in app's: tests/signin/test_lock_status_api.py)."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from notices.models import Severity
from tests.notices.conftest import at
from tests.notices.factories import NoticeFactory

pytestmark = pytest.mark.django_db


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


def test_status_answers_head_for_monitoring(client):
    assert client.head("/api/status").status_code == HTTPStatus.OK
