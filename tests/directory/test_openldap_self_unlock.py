"""The lock page's unlock with a code (tests/reset/test_self_unlock.py) against a real OpenLDAP:
an account locked only in the directory (its own threshold, after the VPN's or the mail
client's failed binds) gets a code, and the right code deletes ``pwdAccountLockedTime``; the
password stays and binds again; the portal's sign-in goes through."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from accounts.models import User
from audit.models import AuditEvent
from directory.selectors import directory_lock_for_user
from messaging.models import OutboxMessage
from tests.accounts.conftest import _empty_outboxes, last_code  # noqa: F401 (autouse)
from tests.directory import slapd as ldap
from tests.reset.test_self_unlock import UnlockBrowser
from tests.signin.conftest import browser as signin_browser
from tests.signin.conftest import post_login

pytestmark = pytest.mark.django_db
PASSWORD = "Directory-pass-1"


@pytest.fixture
def person(openldap, settings):
    settings.DIRECTORY_CONTACTS_TRUSTED = True  # the directory's mail is a verified contact
    dn = openldap.person_add("li.na", PASSWORD, mail="li.na@corp.example")
    assert post_login(signin_browser(), "li.na", PASSWORD).status_code == HTTPStatus.FOUND
    return dn


def test_a_directory_lock_is_lifted_by_the_unlock_with_a_code(
    openldap, person, django_capture_on_commit_callbacks
):
    openldap.fail_binds(person, ldap.MAX_FAILURE)  # the directory's own lock
    assert not openldap.binds(person, PASSWORD)
    user = User.objects.get(username="li.na")
    assert directory_lock_for_user(user=user).locked
    browser = UnlockBrowser(django_capture_on_commit_callbacks)
    browser.start("li.na")
    assert OutboxMessage.objects.filter(user=user, kind="unlock_code").exists()
    assert browser.code(last_code()).status_code == HTTPStatus.FOUND
    assert not directory_lock_for_user(user=user).locked
    assert openldap.binds(person, PASSWORD)  # the password kept
    event = AuditEvent.objects.get(event="directory.unlocked")
    assert event.data == {"how": "self_unlock"} and event.user_id == user.pk
    assert AuditEvent.objects.get(event="reset.self_unlocked").data["lifted"] is True
    assert post_login(signin_browser(), "li.na", PASSWORD).status_code == HTTPStatus.FOUND


def test_a_directory_account_that_is_not_locked_gets_no_code(
    openldap, person, django_capture_on_commit_callbacks
):
    browser = UnlockBrowser(django_capture_on_commit_callbacks)
    assert browser.start("li.na").status_code == HTTPStatus.FOUND
    assert not OutboxMessage.objects.filter(kind="unlock_code").exists()
    withheld = AuditEvent.objects.get(event="reset.code_withheld")
    assert withheld.data["reason"] == "not_locked"
