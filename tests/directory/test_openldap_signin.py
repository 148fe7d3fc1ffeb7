"""Sign-in against a real OpenLDAP: the bind decides, the account is made from the entry, the
lockout gate runs first, the directory down gives the clear page, filter input is escaped."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from audit.models import AuditEvent
from directory.models import DirectoryAccount
from directory.selectors import entry_find
from signin.models import FailureCounter
from tests.directory import slapd as ldap
from tests.factories import UserFactory
from tests.signin.conftest import browser, post_login

pytestmark = pytest.mark.django_db(transaction=False)
PASSWORD = "Directory-pass-1"


def test_a_directory_person_signs_in_by_bind_and_gets_an_account(openldap):
    openldap.person_add(
        "li.na",
        PASSWORD,
        mail="li.na@corp.example",
        mobile="+8613800138001",
        givenName="Na",
        employeeNumber="E100",
    )
    response = post_login(browser(), "li.na", PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    user = User.objects.get(username="li.na")
    assert (user.email, str(user.phone), user.first_name, user.last_name, user.employee_id) == (
        "li.na@corp.example",
        "+8613800138001",
        "Na",
        "na",
        "E100",
    )
    assert not user.has_usable_password()  # the directory holds the password
    assert user.email_verified_at is None  # contacts not trusted unless the setting says so
    link = DirectoryAccount.objects.get(user=user)
    assert link.dn == f"uid=li.na,{ldap.PEOPLE}" and len(link.guid) == 36
    assert AuditEvent.objects.filter(event="directory.account_created", user=user).exists()
    assert AuditEvent.objects.filter(event="signin.succeeded", user=user).exists()


def test_trusted_directory_contacts_count_as_verified(openldap, settings):
    settings.DIRECTORY_CONTACTS_TRUSTED = True
    openldap.person_add("wang.fang", PASSWORD, mail="wang.fang@corp.example")
    assert post_login(browser(), "wang.fang", PASSWORD).status_code == HTTPStatus.FOUND
    user = User.objects.get(username="wang.fang")
    assert user.email_verified_at is not None and user.phone_verified_at is None


def test_sign_in_by_email_and_an_update_at_the_next_sign_in(openldap):
    dn = openldap.person_add("li.na", PASSWORD, mail="li.na@corp.example", givenName="Na")
    assert post_login(browser(), "li.na@corp.example", PASSWORD).status_code == HTTPStatus.FOUND
    openldap.modify(dn, {"givenName": [("MODIFY_REPLACE", ["Nana"])]})
    assert post_login(browser(), "LI.NA", PASSWORD).status_code == HTTPStatus.FOUND
    assert User.objects.get(username="li.na").first_name == "Nana"
    assert User.objects.filter(username__iexact="li.na").count() == 1


def test_a_wrong_password_is_our_failure_and_makes_no_account(openldap):
    openldap.person_add("li.na", PASSWORD)
    response = post_login(browser(), "li.na", "not-it-at-all")
    assert response.status_code == HTTPStatus.OK
    assert "The username or password is not right." in response.content.decode()
    assert not User.objects.filter(username="li.na").exists()
    assert FailureCounter.objects.get(key="li.na", scope="account").failures == 1
    # The directory saw the one failed bind.
    assert len(openldap.read(f"uid=li.na,{ldap.PEOPLE}", "pwdFailureTime")["pwdFailureTime"]) == 1


def test_our_lock_stops_attempts_before_the_directory_sees_them(openldap, settings):
    dn = openldap.person_add("li.na", PASSWORD)
    client = browser()
    for _ in range(settings.LOCKOUT_FAILURE_LIMIT):
        post_login(client, "li.na", "not-it-at-all")
    for _ in range(3):  # refused by our lock: never sent to the directory
        assert post_login(client, "li.na", "not-it-at-all").status_code == 429
    assert post_login(client, "li.na", PASSWORD).status_code == 429
    failures = openldap.read(dn, "pwdFailureTime").get("pwdFailureTime", [])
    assert len(failures) == settings.LOCKOUT_FAILURE_LIMIT < ldap.MAX_FAILURE
    assert not openldap.read(dn, "pwdAccountLockedTime").get("pwdAccountLockedTime")


def test_a_portal_account_the_directory_does_not_know_keeps_its_own_password(openldap):
    UserFactory(username="breakglass")
    from tests.factories import DEFAULT_PASSWORD

    assert post_login(browser(), "breakglass", DEFAULT_PASSWORD).status_code == HTTPStatus.FOUND


def test_a_linked_account_gone_from_the_directory_cannot_sign_in(openldap):
    dn = openldap.person_add("li.na", PASSWORD)
    assert post_login(browser(), "li.na", PASSWORD).status_code == HTTPStatus.FOUND
    conn = openldap.root()
    conn.delete(dn)
    conn.unbind()
    user = User.objects.get(username="li.na")
    user.set_password(PASSWORD)  # even with a local password equal to the old one
    user.save()
    response = post_login(browser(), "li.na", PASSWORD)
    assert response.status_code == HTTPStatus.OK
    assert "The username or password is not right." in response.content.decode()


def test_the_directory_down_gives_the_clear_page_and_counts_nothing(openldap):
    openldap.person_add("li.na", PASSWORD)
    openldap.stop()
    for typed in ("li.na", "nobody.here"):
        started = time.monotonic()
        response = post_login(browser(), typed, PASSWORD)
        # Within the connect timeout (2 s here): no wait of ldap3's pool after a failed round.
        assert time.monotonic() - started < settings.DIRECTORY_CONNECT_TIMEOUT + 2
        assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert response["Retry-After"] == "60"
        page = response.content.decode()
        assert "The company directory cannot be reached" in page
        assert "does not count against your account" in page
    assert not FailureCounter.objects.filter(failures__gt=0).exists()
    # The admin's door too.
    response = post_login(browser(), "li.na", PASSWORD, path="/admin/login/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE


def test_the_directory_down_in_chinese(openldap):
    openldap.stop()
    response = post_login(Client(HTTP_ACCEPT_LANGUAGE="zh-hans"), "li.na", PASSWORD)
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert "无法连接公司目录" in response.content.decode()


def test_a_second_server_takes_over_when_the_first_does_not_answer(openldap, settings):
    from tests.directory.slapd import free_port

    settings.DIRECTORY_URLS = [f"ldap://127.0.0.1:{free_port()}", openldap.url]
    openldap.person_add("li.na", PASSWORD)
    assert post_login(browser(), "li.na", PASSWORD).status_code == HTTPStatus.FOUND


def test_filter_input_is_escaped(openldap):
    openldap.person_add("li.na", PASSWORD)
    openldap.person_add("wang.fang", PASSWORD)
    assert entry_find(typed="*)(uid=*") is None
    assert entry_find(typed="*") is None
    assert entry_find(typed="li.na)(|(uid=*") is None
    assert entry_find(typed="li.na").dn == f"uid=li.na,{ldap.PEOPLE}"
    response = post_login(browser(), "*)(uid=*", PASSWORD)
    assert response.status_code == HTTPStatus.OK
    assert not User.objects.exclude(username="").exists()


def test_without_a_directory_nothing_changes(settings, db):
    assert not settings.DIRECTORY_URLS
    from tests.factories import DEFAULT_PASSWORD

    UserFactory(username="zhang.wei")
    assert post_login(browser(), "zhang.wei", DEFAULT_PASSWORD).status_code == HTTPStatus.FOUND
    assert not DirectoryAccount.objects.exists()
