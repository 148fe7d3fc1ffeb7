"""directory.ad on the real Samba DC, through the core's connections and reads (the service
account with only its delegated rights): identity, change marker, policy, lock, disabled,
password write and refusals, groups, the bind sub-codes, and filter input escaped."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import ldap3
import pytest

from directory import conf
from directory.ad import ActiveDirectory, filetime, interval, unicode_pwd
from directory.connection import service_connection, user_bind
from directory.dialects import DirectoryUnavailable, LockPolicy, PasswordRefused
from directory.selectors import entries_of, entry_find, entry_read, policy, user_attributes
from tests.directory.samba import ad_directory, ad_ou, samba_dc  # noqa: F401

PASSWORD = "Chun-Tian-2026!"
AD = ActiveDirectory()


@pytest.fixture
def person(samba_dc, ad_directory):  # noqa: F811
    return samba_dc.user_add(
        ad_directory, "wang.fang", PASSWORD, mail="wang.fang@corp.example", employeeID="E1001"
    )


def test_the_dialect_is_chosen_by_kind(ad_directory):  # noqa: F811
    assert isinstance(conf.dialect(), ActiveDirectory)


def test_identity_and_change_marker(samba_dc, person):  # noqa: F811
    entry = entry_read(dn=person.dn)
    raw = samba_dc.read(person.dn, "objectGUID")["objectGUID"]
    assert AD.guid(entry) == str(uuid.UUID(bytes_le=raw))
    marker = AD.change_marker(entry)
    samba_dc.modify(person.dn, {"mobile": [(ldap3.MODIFY_REPLACE, ["+8613900139000"])]})
    later = AD.change_marker(entry_read(dn=person.dn))
    assert AD.marker_key(later) > AD.marker_key(marker)
    with service_connection() as conn:
        following = AD.sync_start_marker(conn)
        assert AD.marker_key(following) > AD.marker_key(later)
        conn.search(
            conf.base_dn(),
            f"(&{conf.user_filter()}{AD.changed_since_filter(later)})",
            attributes=user_attributes(),
        )
        assert [e.dn for e in entries_of(conn)] == [person.dn]
        conn.search(
            conf.base_dn(),
            f"(&{conf.user_filter()}{AD.changed_since_filter(following)})",
            attributes=user_attributes(),
        )
        assert entries_of(conn) == []


def test_a_rename_keeps_the_guid(samba_dc, person):  # noqa: F811
    before = AD.guid(entry_read(dn=person.dn))
    with samba_dc._admin() as conn:
        conn.modify_dn(person.dn, "CN=Wang Fang")
        assert conn.result["result"] == 0
    moved = person.dn.replace(f"CN={person.sam}", "CN=Wang Fang")
    assert AD.guid(entry_read(dn=moved)) == before


def test_sign_in_names_upn_and_down_level(samba_dc, person):  # noqa: F811
    assert entry_find(typed=person.sam).dn == person.dn
    for typed in (person.upn, f"CORP\\{person.sam}"):
        clause = AD.identifier_clauses(typed)[0]
        with service_connection() as conn:
            conn.search(conf.base_dn(), f"(&{conf.user_filter()}{clause})", attributes=["cn"])
            assert [e.dn for e in entries_of(conn)] == [person.dn], typed


def test_filter_input_is_escaped(samba_dc, person):  # noqa: F811
    samba_dc.user_add(conf.base_dn(), "other", PASSWORD)
    assert entry_find(typed="*)(sAMAccountName=*") is None
    assert entry_find(typed="*") is None
    assert AD.identifier_clauses("*)(cn=*@x")[0] == "(userPrincipalName=\\2a\\29\\28cn=\\2a@x)"
    assert "\\2a" in AD.member_filter("CN=*)(x=*,DC=corp")


def test_the_domain_lockout_policy(samba_dc, ad_directory):  # noqa: F811
    found = policy()
    assert found == LockPolicy(
        threshold=samba_dc.lockout_threshold,
        duration=timedelta(minutes=samba_dc.lockout_minutes),
        window=timedelta(minutes=samba_dc.lockout_minutes),
    )


def test_lock_read_and_clear_after_the_directory_s_own_threshold(samba_dc, person):  # noqa: F811
    now = datetime.now(UTC)
    for _ in range(3):
        assert user_bind(dn=person.dn, password="Wrong-Pass-1") is False
    lock = AD.lock_read(entry_read(dn=person.dn), policy(), now)
    assert (lock.locked, lock.failures) == (False, 3)
    samba_dc.lock_out(person.dn)
    entry = entry_read(dn=person.dn)
    lock = AD.lock_read(entry, policy(), datetime.now(UTC))
    assert lock.locked and lock.failures >= samba_dc.lockout_threshold
    assert lock.until == lock.since + timedelta(minutes=samba_dc.lockout_minutes)
    assert abs(lock.since - now) < timedelta(minutes=2)
    later = lock.until + timedelta(seconds=1)
    assert AD.lock_read(entry, policy(), later).locked is False  # ended by its duration
    assert samba_dc.bind_result(person.dn, PASSWORD)["message"].count("data 775") == 1

    with service_connection() as conn:
        assert AD.lock_clear(conn, entry) is True
    entry = entry_read(dn=person.dn)
    assert AD.lock_read(entry, policy(), datetime.now(UTC)).locked is False
    assert int(entry.first("badPwdCount")) == 0
    assert user_bind(dn=person.dn, password=PASSWORD) is True
    with service_connection() as conn:
        assert AD.lock_clear(conn, entry) is False  # nothing left to clear


def test_the_disabled_bit(samba_dc, person):  # noqa: F811
    assert AD.disabled(entry_read(dn=person.dn)) is False
    samba_dc.modify(person.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [514])]})
    entry = entry_read(dn=person.dn)
    assert AD.disabled(entry) is True
    assert AD.lock_read(entry, policy(), datetime.now(UTC)).locked is False
    assert user_bind(dn=person.dn, password=PASSWORD) is False


def test_password_set_writes_the_directory(samba_dc, person):  # noqa: F811
    with service_connection() as conn:
        AD.password_set(conn, entry_read(dn=person.dn), "Xia-Tian-2026!")
    assert user_bind(dn=person.dn, password="Xia-Tian-2026!") is True


@pytest.mark.parametrize(("new", "code"), [("Ab1!xyz", "too_short"), ("abcdefghijk", "quality")])
def test_password_refusals_are_mapped(samba_dc, person, new, code):  # noqa: F811
    with service_connection() as conn, pytest.raises(PasswordRefused) as refused:
        AD.password_set(conn, entry_read(dn=person.dn), new)
    assert refused.value.code == code
    assert "0000052D" in refused.value.detail and new not in refused.value.detail
    assert user_bind(dn=person.dn, password=PASSWORD) is True  # nothing changed


def test_a_history_refusal_of_the_real_server_is_in_history(samba_dc, person):  # noqa: F811
    conn = samba_dc.connection(person.dn, PASSWORD)
    assert conn.bind()
    value = unicode_pwd(PASSWORD)
    conn.modify(
        person.dn, {"unicodePwd": [(ldap3.MODIFY_DELETE, [value]), (ldap3.MODIFY_ADD, [value])]}
    )
    assert AD.refusal_of(conn.result).code == "in_history"
    conn.unbind()
    windows = "0000052D: SvcErr: DSID-031A120C, problem 5003 (WILL_NOT_PERFORM), data 0\n"
    assert AD.refusal_of({"result": 53, "message": windows}).code == "policy"
    assert AD.refusal_of({"result": 50, "message": "00000005: SecErr"}) is None


def test_no_password_over_an_unencrypted_connection(samba_dc, person):  # noqa: F811
    conn = ldap3.Connection(ldap3.Server(samba_dc.address, port=389, get_info=ldap3.NONE))
    conn.open()
    with pytest.raises(DirectoryUnavailable):
        AD.password_set(conn, entry_read(dn=person.dn), "Xia-Tian-2026!")
    conn.unbind()


def test_lock_clear_without_the_right_is_unavailable_not_a_crash(samba_dc, person):  # noqa: F811
    samba_dc.lock_out(person.dn)
    other = samba_dc.user_add(samba_dc.staff_ou, "nobody", PASSWORD)
    conn = samba_dc.connection(other.dn, PASSWORD)  # an employee: no right to lockoutTime
    assert conn.bind()
    with pytest.raises(DirectoryUnavailable):
        AD.lock_clear(conn, entry_read(dn=person.dn))
    conn.unbind()
    assert AD.lock_read(entry_read(dn=person.dn), policy(), datetime.now(UTC)).locked


def test_agent_and_admin_groups_nested(samba_dc, person):  # noqa: F811
    nested = f"CN=Helpdesk Tier 1,{conf.base_dn()}"
    with samba_dc._admin() as conn:
        conn.add(nested, ["top", "group"], {"sAMAccountName": f"tier1-{uuid.uuid4().hex[:6]}"})
        assert conn.result["result"] == 0
    samba_dc.member_add(nested, person.dn)
    samba_dc.member_add(samba_dc.agents_dn, nested)
    with service_connection() as conn:
        for group, member in ((samba_dc.agents_dn, True), (samba_dc.admins_dn, False)):
            conn.search(group, AD.member_filter(person.dn), ldap3.BASE, attributes=[])
            assert bool(entries_of(conn)) is member, group


@pytest.mark.parametrize(
    ("change", "password", "outcome"),
    [
        ({}, "Wrong-Pass-1", "bad_password"),
        ({"userAccountControl": 514}, PASSWORD, "disabled"),
        ({"userAccountControl": 514}, "Wrong-Pass-1", "bad_password"),
        ({"pwdLastSet": 0}, "Wrong-Pass-1", "bad_password"),
        ({"pwdLastSet": 0}, PASSWORD, "must_change"),
        ({"accountExpires": 116444736000000000}, PASSWORD, "account_expired"),
        ({}, PASSWORD, None),
    ],
)
def test_bind_refusals(samba_dc, person, change, password, outcome):  # noqa: F811
    if change:
        samba_dc.modify(person.dn, {k: [(ldap3.MODIFY_REPLACE, [v])] for k, v in change.items()})
    assert AD.bind_refusal(samba_dc.bind_result(person.dn, password)) == outcome


def test_a_locked_account_answers_775_to_the_right_password_only(samba_dc, person):  # noqa: F811
    samba_dc.lock_out(person.dn)
    assert AD.bind_refusal(samba_dc.bind_result(person.dn, PASSWORD)) == "locked"
    wrong = AD.bind_refusal(samba_dc.bind_result(person.dn, "Wrong-Pass-1"))
    print("a wrong password while locked:", wrong)
    assert wrong in ("locked", "bad_password")


def test_times_and_durations():
    assert filetime("0") is None and filetime("9223372036854775807") is None
    assert filetime("134411350067800890").year == 2026
    assert interval("-18000000000") == timedelta(minutes=30)
    assert interval("0") is None and interval(str(-(2**63))) is None
