"""What the AD dialect relies on, shown on the real Samba DC with raw ldap3 (no portal code):
binds by DN, UPN and DOMAIN\\name; an administrative reset through ``unicodePwd`` by the
delegated service account; AD's refusals (0000052D); its lockout and ``lockoutTime=0``; the
disabled bit's data 533; ``uSNChanged`` against ``highestCommittedUSN``; the old password's
grace after a reset."""

from __future__ import annotations

import ldap3
import pytest

from tests.directory.samba import ad_ou, samba_dc, unicode_pwd  # noqa: F401

PASSWORD = "Chun-Tian-2026!"


@pytest.fixture
def person(samba_dc, ad_ou):  # noqa: F811
    return samba_dc.user_add(ad_ou, "li.na", PASSWORD, mail="li.na@corp.example")


def reset(samba_dc, dn, new):  # noqa: F811
    conn = samba_dc.connection(samba_dc.service_dn, samba_dc.service_password)
    assert conn.bind(), conn.result
    conn.modify(dn, {"unicodePwd": [(ldap3.MODIFY_REPLACE, [unicode_pwd(new)])]})
    result = dict(conn.result)
    conn.unbind()
    return result


def test_binds_by_dn_upn_and_down_level_name(samba_dc, person):  # noqa: F811
    for name in (person.dn, person.upn, f"CORP\\{person.sam}"):
        assert samba_dc.bind_result(name, PASSWORD)["result"] == 0, name
    wrong = samba_dc.bind_result(person.upn, "Wrong-Pass-1")
    assert wrong["result"] == 49
    assert "data 52e" in wrong["message"]


def test_the_service_account_resets_a_password_over_ldaps(samba_dc, person):  # noqa: F811
    assert reset(samba_dc, person.dn, "Xia-Tian-2026!")["result"] == 0
    assert samba_dc.bind_result(person.dn, "Xia-Tian-2026!")["result"] == 0


def test_the_service_account_has_only_its_delegated_rights(samba_dc, person):  # noqa: F811
    conn = samba_dc.connection(samba_dc.service_dn, samba_dc.service_password)
    assert conn.bind()
    conn.modify(person.dn, {"mail": [(ldap3.MODIFY_REPLACE, ["x@corp.example"])]})
    assert conn.result["result"] == 50  # insufficientAccessRights
    admin = f"CN=Administrator,CN=Users,{samba_dc.base_dn}"
    conn.modify(admin, {"unicodePwd": [(ldap3.MODIFY_REPLACE, [unicode_pwd("Other-Pass-99!")])]})
    assert conn.result["result"] == 50  # nothing outside OU=Staff
    conn.unbind()


@pytest.mark.parametrize(
    ("new", "words"), [("Ab1!", "too short"), ("alllowercaseletters", "complexity")]
)
def test_policy_refusals_are_constraint_violations_0000052d(samba_dc, person, new, words):  # noqa: F811
    result = reset(samba_dc, person.dn, new)
    assert result["result"] == 19  # constraintViolation
    assert "0000052D" in result["message"] and words in result["message"]
    assert samba_dc.bind_result(person.dn, PASSWORD)["result"] == 0  # nothing changed


def test_history_is_checked_on_a_change_and_not_on_a_reset(samba_dc, person):  # noqa: F811
    # Samba 4.17 refuses LDAP_SERVER_POLICY_HINTS (critical: unavailableCriticalExtension), so an
    # administrative reset skips the history; Windows AD checks it when the control is sent.
    conn = samba_dc.connection(person.dn, PASSWORD)
    assert conn.bind()
    old, new = unicode_pwd(PASSWORD), unicode_pwd(PASSWORD)
    conn.modify(
        person.dn, {"unicodePwd": [(ldap3.MODIFY_DELETE, [old]), (ldap3.MODIFY_ADD, [new])]}
    )
    assert conn.result["result"] == 19
    assert "0000052D" in conn.result["message"] and "already used" in conn.result["message"]
    conn.unbind()
    hints = ("1.2.840.113556.1.4.2239", True, b"\x30\x03\x02\x01\x01")
    admin = samba_dc.admin()
    admin.modify(person.dn, {"unicodePwd": [(ldap3.MODIFY_REPLACE, [new])]}, controls=[hints])
    assert admin.result["result"] == 12  # unavailableCriticalExtension
    admin.unbind()
    assert reset(samba_dc, person.dn, PASSWORD)["result"] == 0


def test_lockout_after_the_threshold_and_lockouttime_zero_unlocks(samba_dc, person):  # noqa: F811
    for count in range(1, samba_dc.lockout_threshold):
        samba_dc.bind_result(person.dn, "Wrong-Pass-1")
        assert int(samba_dc.read(person.dn, "badPwdCount")["badPwdCount"]) == count
    assert int(samba_dc.read(person.dn, "lockoutTime").get("lockoutTime") or 0) == 0
    samba_dc.bind_result(person.dn, "Wrong-Pass-1")
    state = samba_dc.read(person.dn, "lockoutTime", "badPwdCount")
    assert int(state["lockoutTime"]) > 0  # set: a FILETIME
    locked = samba_dc.bind_result(person.dn, PASSWORD)
    assert locked["result"] == 49 and "data 775" in locked["message"]

    conn = samba_dc.connection(samba_dc.service_dn, samba_dc.service_password)
    assert conn.bind()
    conn.modify(person.dn, {"lockoutTime": [(ldap3.MODIFY_REPLACE, ["0"])]})
    assert conn.result["result"] == 0, conn.result
    conn.unbind()
    assert samba_dc.bind_result(person.dn, PASSWORD)["result"] == 0
    assert int(samba_dc.read(person.dn, "badPwdCount")["badPwdCount"]) == 0


@pytest.mark.parametrize(
    ("change", "data"),
    [
        ({"userAccountControl": 512 | 0x2}, "533"),  # ACCOUNTDISABLE
        ({"pwdLastSet": 0}, "773"),  # must change at next logon
        ({"accountExpires": 116444736000000000}, "701"),  # expired (1970)
    ],
)
def test_an_account_state_answers_its_bind_sub_code(samba_dc, person, change, data):  # noqa: F811
    samba_dc.modify(person.dn, {k: [(ldap3.MODIFY_REPLACE, [v])] for k, v in change.items()})
    result = samba_dc.bind_result(person.dn, PASSWORD)
    assert result["result"] == 49 and f"data {data}," in result["message"]


def test_usnchanged_moves_past_the_highest_committed_usn(samba_dc, person):  # noqa: F811
    highest = int(samba_dc.read("-", "highestCommittedUSN")["highestCommittedUSN"])
    before = int(samba_dc.read(person.dn, "uSNChanged")["uSNChanged"])
    assert before <= highest
    samba_dc.modify(person.dn, {"mobile": [(ldap3.MODIFY_REPLACE, ["+8613800138000"])]})
    after = int(samba_dc.read(person.dn, "uSNChanged")["uSNChanged"])
    assert after > highest
    conn = samba_dc.admin()
    conn.search(samba_dc.staff_ou, f"(uSNChanged>={highest + 1})", attributes=["cn"])
    assert [e["dn"] for e in conn.response if e.get("type") == "searchResEntry"] == [person.dn]
    conn.unbind()


def test_the_old_password_still_binds_for_a_while_after_a_reset(samba_dc, person):  # noqa: F811
    # "old password allowed period" (60 minutes by default): what docs/directory.md and the
    # reset's done page warn about. Another wrong password is still refused.
    assert reset(samba_dc, person.dn, "Xia-Tian-2026!")["result"] == 0
    assert samba_dc.bind_result(person.dn, "Xia-Tian-2026!")["result"] == 0
    assert samba_dc.bind_result(person.dn, PASSWORD)["result"] == 0
    assert samba_dc.bind_result(person.dn, "Qiu-Tian-2026!")["result"] == 49
