"""A reset and an unlock written to a real OpenLDAP: the new password binds, the directory's
history refusal is shown and nothing is half-done, the directory's own lock (after its own
threshold) is lifted by our reset and by the agent's unlock."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from directory.selectors import directory_lock_for_user
from reset.models import ResetFlow
from signin.unlock import lock_clear
from tests.accounts.conftest import _empty_outboxes  # noqa: F401 (autouse)
from tests.directory import slapd as ldap
from tests.reset.conftest import NEW_PASSWORD, ResetBrowser, last_code
from tests.signin.conftest import browser as signin_browser
from tests.signin.conftest import post_login

pytestmark = pytest.mark.django_db
PASSWORD = "Directory-pass-1"


@pytest.fixture
def browser(django_capture_on_commit_callbacks):
    return ResetBrowser(django_capture_on_commit_callbacks)


@pytest.fixture
def person(openldap, settings):
    """li.na in the directory, with a portal account made at a first sign-in (contacts trusted,
    so the reset has a verified email to send its code to)."""
    settings.DIRECTORY_CONTACTS_TRUSTED = True
    dn = openldap.person_add("li.na", PASSWORD, mail="li.na@corp.example")
    assert post_login(signin_browser(), "li.na", PASSWORD).status_code == HTTPStatus.FOUND
    return dn


def _to_new_password(browser):
    browser.start("li.na")
    assert browser.code(last_code()).status_code == HTTPStatus.FOUND


def test_a_reset_writes_the_new_password_to_the_directory(openldap, person, browser):
    _to_new_password(browser)
    response = browser.new_password()
    assert response.status_code == HTTPStatus.FOUND
    assert openldap.binds(person, NEW_PASSWORD)
    assert not openldap.binds(person, PASSWORD)
    assert post_login(signin_browser(), "li.na", NEW_PASSWORD).status_code == HTTPStatus.FOUND
    written = AuditEvent.objects.get(event="directory.password_written")
    assert written.data["reason"] == "reset"
    assert AuditEvent.objects.filter(event="reset.completed").exists()
    page = browser.client.get(response["Location"]).content.decode()
    assert "Sign in with your new password." in page
    assert "old password for up to an hour" not in page  # OpenLDAP keeps no old password


def test_the_done_page_warns_of_ads_old_password_grace(settings):
    from directory.services import reset_done_note

    settings.DIRECTORY_URLS, settings.DIRECTORY_KIND = ["ldaps://dc.corp.example"], "ad"
    assert "old password for up to an hour" in reset_done_note()
    settings.DIRECTORY_URLS = []
    assert reset_done_note() is None


def test_the_directorys_history_refusal_is_shown_and_nothing_is_half_done(
    openldap, person, browser
):
    _to_new_password(browser)
    assert browser.new_password().status_code == HTTPStatus.FOUND  # now NEW_PASSWORD
    _to_new_password(browser)
    response = browser.new_password(PASSWORD)  # the directory's history holds it
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page = response.content.decode()
    assert "The company directory refused this password: it was used before." in page
    assert openldap.binds(person, NEW_PASSWORD)  # the directory kept the current password
    flow = ResetFlow.objects.filter(user__username="li.na").latest("pk")
    assert flow.state == ResetFlow.State.READY  # the reset is not complete
    assert AuditEvent.objects.filter(event="reset.completed").count() == 1
    # Another password then goes through.
    assert browser.new_password("yet another long passphrase").status_code == HTTPStatus.FOUND
    assert openldap.binds(person, "yet another long passphrase")


def test_the_refusal_in_chinese(openldap, person, django_capture_on_commit_callbacks):
    from django.test import Client

    browser = ResetBrowser(
        django_capture_on_commit_callbacks, Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    _to_new_password(browser)
    assert browser.new_password().status_code == HTTPStatus.FOUND
    _to_new_password(browser)
    response = browser.new_password(PASSWORD)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "公司目录拒绝了此密码：它以前用过。" in response.content.decode()


def _directory_lock(openldap, person) -> None:
    openldap.fail_binds(person, ldap.MAX_FAILURE)  # the VPN, the mail client...
    assert not openldap.binds(person, PASSWORD)


def test_the_directorys_own_lock_is_read_with_its_end(openldap, person):
    _directory_lock(openldap, person)
    user = User.objects.get(username="li.na")
    lock = directory_lock_for_user(user=user)
    assert lock.locked and lock.failures == ldap.MAX_FAILURE
    assert lock.until - lock.since == timedelta(seconds=ldap.LOCKOUT_SECONDS)
    assert timezone.now() - timedelta(minutes=1) < lock.since <= timezone.now()


def test_the_directorys_lock_is_lifted_by_our_reset(openldap, person, browser):
    _directory_lock(openldap, person)
    _to_new_password(browser)
    assert browser.new_password().status_code == HTTPStatus.FOUND
    assert openldap.binds(person, NEW_PASSWORD)
    assert not directory_lock_for_user(user=User.objects.get(username="li.na")).locked
    written = AuditEvent.objects.get(event="directory.password_written")
    assert written.data["lock_cleared"] is True


def test_the_directorys_lock_is_lifted_by_the_agents_unlock(openldap, person, staff):
    _directory_lock(openldap, person)
    assert lock_clear(username="li.na", how="manual", actor=staff) is True
    assert openldap.binds(person, PASSWORD)  # the password kept, the lock gone
    event = AuditEvent.objects.get(event="directory.unlocked")
    assert event.data == {"how": "manual"} and event.actor_id == staff.pk
    assert lock_clear(username="li.na", how="manual", actor=staff) is False  # nothing left


def test_an_unlock_of_a_portal_only_account_does_not_touch_the_directory(openldap, user, staff):
    assert lock_clear(username=user.username, how="manual", actor=staff) is False
    assert not AuditEvent.objects.filter(event="directory.unlocked").exists()
