"""The scheduled sync against a real OpenLDAP: people made and updated, incremental runs read
only what changed, a disabled or deleted person is switched off (no sign-in, sessions ended)."""

from __future__ import annotations

from http import HTTPStatus

import ldap3
import pytest
from django.urls import reverse

from accounts.models import User
from audit.models import AuditEvent
from directory.models import DirectoryAccount, SyncState
from directory.openldap import PERMANENT
from directory.sync import users_sync
from directory.tasks import sync
from signin.models import UserSession
from tests.signin.conftest import browser, post_login

pytestmark = pytest.mark.django_db
PASSWORD = "Directory-pass-1"


def test_a_first_run_makes_every_account_and_the_next_reads_only_changes(openldap):
    for n in range(7):
        openldap.person_add(f"user{n}", PASSWORD, mail=f"user{n}@corp.example")
    first = users_sync()
    assert first.full and (first.read, first.updated, first.switched_off) == (7, 7, 0)
    assert User.objects.filter(username__startswith="user").count() == 7
    assert SyncState.objects.get().marker
    again = users_sync()
    assert not again.full and again.updated == 0  # nothing changed since
    assert again.read <= 7  # those changed in the marker's second may be read again, not applied
    openldap.modify(
        f"uid=user3,{'ou=people,dc=corp,dc=example'}",
        {"mail": [(ldap3.MODIFY_REPLACE, ["third@corp.example"])]},
    )
    changed = users_sync()
    assert changed.updated == 1
    assert User.objects.get(username="user3").email == "third@corp.example"


def test_a_disabled_person_cannot_sign_in_and_their_sessions_end(openldap):
    dn = openldap.person_add("li.na", PASSWORD)
    client = browser()
    assert post_login(client, "li.na", PASSWORD).status_code == HTTPStatus.FOUND
    assert UserSession.objects.filter(user__username="li.na", ended_at__isnull=True).exists()
    users_sync()
    openldap.modify(dn, {"pwdAccountLockedTime": [(ldap3.MODIFY_REPLACE, [PERMANENT])]})
    result = sync()  # the beat's task
    assert result["updated"] == 1
    user = User.objects.get(username="li.na")
    assert not user.is_active
    assert DirectoryAccount.objects.get(user=user).disabled
    assert not UserSession.objects.filter(user=user, ended_at__isnull=True).exists()
    assert client.get(reverse("accounts:overview")).status_code == HTTPStatus.FOUND  # signed out
    event = AuditEvent.objects.get(event="directory.account_disabled")
    assert event.data["why"] == "disabled" and event.data["sessions_ended"] == 1
    assert post_login(browser(), "li.na", PASSWORD).status_code == HTTPStatus.OK
    # Switched on again in the directory: back.
    openldap.modify(dn, {"pwdAccountLockedTime": [(ldap3.MODIFY_DELETE, [])]})
    users_sync()
    assert User.objects.get(username="li.na").is_active
    assert post_login(browser(), "li.na", PASSWORD).status_code == HTTPStatus.FOUND


def test_a_person_deleted_from_the_directory_is_switched_off(openldap):
    dn = openldap.person_add("li.na", PASSWORD)
    openldap.person_add("wang.fang", PASSWORD)
    users_sync()
    conn = openldap.root()
    conn.delete(dn)
    conn.unbind()
    result = users_sync()
    assert result.switched_off == 1
    assert not User.objects.get(username="li.na").is_active
    assert DirectoryAccount.objects.get(user__username="li.na").gone
    assert User.objects.get(username="wang.fang").is_active
    assert AuditEvent.objects.get(event="directory.account_disabled").data["why"] == "gone"


def test_a_locally_switched_off_account_stays_off(openldap):
    openldap.person_add("li.na", PASSWORD)
    users_sync()
    User.objects.filter(username="li.na").update(is_active=False)
    users_sync(full=True)
    assert not User.objects.get(username="li.na").is_active


def test_an_existing_portal_account_is_linked_by_username(openldap, user):
    openldap.person_add(user.username, PASSWORD, mail="zw@corp.example")
    users_sync()
    user.refresh_from_db()
    assert user.email == "zw@corp.example"
    assert DirectoryAccount.objects.get().user == user


def test_the_directory_down_changes_nothing(openldap):
    from directory.dialects import DirectoryUnavailable

    openldap.person_add("li.na", PASSWORD)
    openldap.stop()
    with pytest.raises(DirectoryUnavailable):
        users_sync()
    assert not User.objects.filter(username="li.na").exists()
    openldap.start()
    assert users_sync().updated == 1  # and the lock was let go


def test_a_full_run_follows_group_membership(openldap, settings):
    from accounts.roles import HELPDESK_AGENTS
    from accounts.services import roles_sync

    roles_sync()
    group = f"cn=helpdesk,{'ou=groups,dc=corp,dc=example'}"
    conn = openldap.root()
    conn.add(
        group, ["groupOfNames"], {"cn": "helpdesk", "member": [f"uid=nobody,{openldap_people()}"]}
    )
    conn.unbind()
    settings.DIRECTORY_AGENT_GROUP_DN = group
    dn = openldap.person_add("li.na", PASSWORD)
    users_sync()
    assert not User.objects.get(username="li.na").is_staff
    openldap.modify(group, {"member": [(ldap3.MODIFY_ADD, [dn])]})  # the person's entry unchanged
    users_sync(full=True)
    user = User.objects.get(username="li.na")
    assert user.is_staff and user.groups.filter(name=HELPDESK_AGENTS).exists()


def openldap_people() -> str:
    return "ou=people,dc=corp,dc=example"
