"""``manage.py directory_check`` against a real OpenLDAP."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.directory import slapd as ldap

pytestmark = pytest.mark.django_db


def _check() -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("directory_check", stdout=out)
    except SystemExit as exit_:
        return out.getvalue(), int(exit_.code)
    return out.getvalue(), 0


def test_it_says_what_it_sees(openldap):
    openldap.person_add("li.na", "Directory-pass-1", mail="li.na@corp.example")
    openldap.person_add("wang.fang", "Directory-pass-1")
    text, status = _check()
    assert status == 0, text
    assert f"bind: ok as {ldap.SERVICE_DN}" in text
    assert "people under dc=corp,dc=example: 2" in text
    assert "sample: uid=" in text and "username <- uid:" in text
    assert f"directory lockout: {ldap.MAX_FAILURE} failures, 30 min; ours: 5 failures" in text
    assert f"warning: {openldap.url} is not encrypted" in text


def test_each_problem_is_one_line(openldap, settings):
    settings.DIRECTORY_BIND_PASSWORD = "wrong"
    text, status = _check()
    assert status == 1
    problems = [line for line in text.splitlines() if line.startswith("problem:")]
    assert any("service bind was refused" in line for line in problems)
    assert "wrong" not in text  # never the secret


def test_a_lower_directory_threshold_is_warned_about(openldap, settings):
    settings.LOCKOUT_FAILURE_LIMIT = ldap.MAX_FAILURE
    text, _status = _check()
    assert "warning: the directory locks after 10 failures" in text


def test_nobody_under_the_base(openldap, settings):
    settings.DIRECTORY_USER_FILTER = "(uid=nobody-at-all)"
    text, status = _check()
    assert status == 1 and "problem: nobody found" in text


def test_off_without_a_directory(db):
    text, status = _check()
    assert status == 0 and "directory: off" in text
