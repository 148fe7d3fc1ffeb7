"""Bad input at the sign-in form: a form error and a 4xx, counted where due, never a 500, and
every log line stays one line."""

from __future__ import annotations

import logging
from http import HTTPStatus

import pytest

from portal.logging import OneLineFilter
from signin.selectors import lock_status
from tests.signin.conftest import LOGIN
from tests.signin.ip_state import ip_status

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


@pytest.mark.parametrize(
    ("data", "message", "counted"),
    [
        ({}, "Enter your username or email address.", False),
        ({"username": "zhang.wei"}, "Enter your password.", False),
        ({"username": "", "password": "x"}, "Enter your username or email address.", False),
        ({"username": "z" * 10240, "password": "x" * 20}, "too long to be a username", True),
        ({"username": "zhang.wei", "password": "p" * 5000}, "too long to be a password", True),
        (
            {"username": "zhang\x00wei", "password": "x" * 20},
            "Null characters are not allowed",
            True,
        ),
        (
            {"username": "zhang.wei", "password": "pass\x00word"},
            "Null characters are not allowed",
            True,
        ),
        (
            {"username": "zhang.wei\r\nERROR forged log line", "password": "x" * 20},
            "characters that are not allowed",
            True,
        ),
        ({"username": "zhang\x1b[31mwei", "password": "x" * 20}, "not allowed", True),
    ],
)
def test_bad_fields_are_form_errors(en, user, caplog, data, message, counted):
    caplog.set_level(logging.INFO)
    response = en.post(LOGIN, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert lock_status(username="zhang.wei").failures == 0  # no password was checked
    assert ip_status(ip="127.0.0.1") == ((1 if counted else 0), None)
    _assert_one_line_logs(caplog)


def test_non_utf8_bytes_are_a_form_error(en, user, caplog):
    body = b"username=zhang%FF%FEwei&password=" + b"%C3%28" * 8
    response = en.generic("POST", LOGIN, body, content_type=FORM)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "could not be read" in response.content.decode()
    assert ip_status(ip="127.0.0.1")[0] == 1
    raw = en.generic("POST", LOGIN, b"\xff\xfe\x00\x01garbage", content_type=FORM)
    assert raw.status_code == HTTPStatus.BAD_REQUEST
    _assert_one_line_logs(caplog)


def test_garbage_counts_toward_the_ip_block(en, settings):
    settings.LOCKOUT_IP_FAILURE_LIMIT = 4
    codes = [
        en.post(LOGIN, {"username": "x\x01y", "password": "z" * 12}).status_code for _ in range(4)
    ]
    assert codes == [400, 400, 400, HTTPStatus.TOO_MANY_REQUESTS]
    assert en.post(LOGIN, {"username": "anyone", "password": "z" * 12}).status_code == 429


def test_surrounding_spaces_and_odd_passwords_are_ordinary_attempts(en, user):
    """Whitespace around a username is trimmed (a tab too); a password is taken as typed."""
    for typed in ("  zhang.wei\t", "\tZhang.Wei  "):
        response = en.post(LOGIN, {"username": typed, "password": "tab\tin password"})
        assert response.status_code == HTTPStatus.OK
    assert lock_status(username="zhang.wei").failures == 2


def _assert_one_line_logs(caplog) -> None:
    one_line = OneLineFilter()
    for record in caplog.records:
        one_line.filter(record)
        assert "\n" not in record.getMessage() and "\r" not in record.getMessage()
        assert "\x1b" not in record.getMessage() and "\x00" not in record.getMessage()
