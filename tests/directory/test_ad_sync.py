"""The scheduled sync on a real Active Directory (the session's Samba DC): a full run makes the
accounts, an incremental run (``uSNChanged`` past the DC's ``highestCommittedUSN``) reads only
the changed people, a person disabled in AD is switched off (and back on), one deleted from AD
is gone, agent/admin groups follow AD's nested membership."""

from __future__ import annotations

import ldap3
import pytest
from django.contrib.auth import get_user_model

from directory.models import DirectoryAccount
from directory.sync import users_sync
from tests.directory.samba import ad_directory, ad_ou, samba_dc  # noqa: F401
from tests.signin.conftest import browser, post_login

PASSWORD = "Chun-Tian-2026!"
User = get_user_model()
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_people(samba_dc, ad_directory):  # noqa: F811
    return [
        samba_dc.user_add(
            ad_directory, name, PASSWORD, mail=f"{name}@corp.example", displayName=name.title()
        )
        for name in ("chen.jie", "liu.yang", "huang.min")
    ]


def account(person) -> User:
    return User.objects.get(directory_account__guid__isnull=False, username__iexact=person.sam)


def test_full_then_incremental_with_a_disabled_person(samba_dc, staff_people, settings):  # noqa: F811
    chen, liu, huang = staff_people
    first = users_sync(full=True)
    assert (first.full, first.read, first.updated) == (True, 3, 3)
    assert DirectoryAccount.objects.count() == 3
    assert account(chen).email == "chen.jie@corp.example"

    quiet = users_sync()
    assert (quiet.full, quiet.read, quiet.updated) == (False, 0, 0)

    samba_dc.modify(liu.dn, {"mail": [(ldap3.MODIFY_REPLACE, ["yang.liu@corp.example"])]})
    samba_dc.modify(huang.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [514])]})
    second = users_sync()
    assert (second.full, second.read, second.updated) == (False, 2, 2)
    assert account(liu).email == "yang.liu@corp.example"
    off = account(huang)
    assert off.is_active is False and off.directory_account.disabled is True
    assert account(chen).is_active is True
    response = post_login(browser(), huang.sam, PASSWORD)
    assert "_auth_user_id" not in response.client.session

    samba_dc.modify(huang.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [512])]})
    users_sync()
    assert account(huang).is_active is True


def test_a_person_deleted_from_ad_is_gone(samba_dc, staff_people):  # noqa: F811
    users_sync(full=True)
    with samba_dc._admin() as conn:
        conn.delete(staff_people[0].dn)
        assert conn.result["result"] == 0
    users_sync()
    link = DirectoryAccount.objects.get(dn=staff_people[0].dn)
    assert link.gone is True and link.user.is_active is False
    assert DirectoryAccount.objects.filter(gone=False).count() == 2


def test_groups_make_agents_and_admins(samba_dc, staff_people):  # noqa: F811
    chen, liu, _huang = staff_people
    samba_dc.member_add(samba_dc.agents_dn, chen.dn)
    samba_dc.member_add(samba_dc.admins_dn, liu.dn)
    users_sync(full=True)
    assert account(chen).is_staff is True and account(chen).is_superuser is False
    assert account(liu).is_superuser is True
    samba_dc.modify(samba_dc.agents_dn, {"member": [(ldap3.MODIFY_DELETE, [chen.dn])]})
    samba_dc.modify(chen.dn, {"description": [(ldap3.MODIFY_REPLACE, ["touched"])]})
    users_sync()
    assert account(chen).is_staff is False
    # A membership change alone leaves the person's uSNChanged as it was: the full run sees it.
    samba_dc.modify(samba_dc.admins_dn, {"member": [(ldap3.MODIFY_DELETE, [liu.dn])]})
    assert users_sync().read == 0
    assert account(liu).is_superuser is True
    users_sync(full=True)
    assert account(liu).is_superuser is False
