"""A reset whose account changes under it: an account disabled mid-flow cannot finish a reset
(no password set, no lock lifted, no "password changed" notice), at whichever step it was."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, backup_codes_give
from tests.reset.conftest import NEW, SECOND, VERIFY, last_code

pytestmark = pytest.mark.django_db


def _disable(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def _unchanged(user) -> None:
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)
    assert not AuditEvent.objects.filter(event="reset.completed").exists()


def test_a_code_sent_before_the_account_was_disabled_no_longer_works(user, browser, clock):
    browser.start("zhang.wei")
    code = last_code()
    _disable(user)
    response = browser.code(code)
    assert response.status_code == HTTPStatus.BAD_REQUEST  # a wrong code, as for anyone else
    assert browser.new_password().url == VERIFY  # still waiting for a code
    _unchanged(user)


def test_an_account_disabled_after_its_code_cannot_choose_a_password(user, browser, clock):
    browser.start("zhang.wei")
    assert browser.code(last_code()).url == NEW
    _disable(user)
    response = browser.new_password()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "start again" in response.content.decode().lower()
    _unchanged(user)


def test_backup_codes_left_without_an_authenticator_still_guard_the_reset(user, browser, clock):
    """Sign-in asks for a backup code when only those are left (the authenticator was removed
    by an admin); the reset must ask too."""
    backup_codes_give(user, "abcd2345")
    browser.start("zhang.wei")
    assert browser.code(last_code()).url == SECOND
    assert browser.get(NEW).url == SECOND
    assert browser.second("abcd2345").url == NEW
