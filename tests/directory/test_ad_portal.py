"""The portal on a real Active Directory (the session's Samba DC): sign-in by bind, the portal's
lockout in front of the directory's, the reset and the agent's unlock written back, the
directory's refusal on the new-password step, the DC down, filter input escaped."""

from __future__ import annotations

import ldap3
import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from directory.selectors import directory_account_of, directory_lock_for_user
from directory.services import directory_lock_clear, password_write
from tests.directory.samba import ad_directory, ad_ou, samba_dc  # noqa: F401
from tests.signin.conftest import LOGIN, browser, post_login

PASSWORD = "Chun-Tian-2026!"
NEW = "Xia-Tian-2026!"
User = get_user_model()
pytestmark = pytest.mark.django_db


@pytest.fixture
def person(samba_dc, ad_directory):  # noqa: F811
    return samba_dc.user_add(
        ad_directory,
        "zhao.lei",
        PASSWORD,
        mail="zhao.lei@corp.example",
        givenName="Lei",
        sn="Zhao",
        displayName="Zhao Lei",
    )


def signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def bad_pwd_count(samba_dc, dn) -> int:  # noqa: F811
    return int(samba_dc.read(dn, "badPwdCount")["badPwdCount"] or 0)


def test_sign_in_by_bind_creates_the_linked_account(samba_dc, person):  # noqa: F811
    response = post_login(browser(), person.sam, PASSWORD)
    assert signed_in(response), response.content[:500]
    user = User.objects.get(username__iexact=person.sam)
    link = directory_account_of(user)
    assert link.dn == person.dn
    assert (user.email, user.first_name, user.last_name) == ("zhao.lei@corp.example", "Lei", "Zhao")
    assert not user.has_usable_password()  # the directory checks it, never the portal's hash
    assert not signed_in(post_login(browser(), person.sam, "Wrong-Pass-1"))


def test_the_portal_s_lockout_stops_before_the_directory_s(samba_dc, person, settings):  # noqa: F811
    limit = settings.LOCKOUT_FAILURE_LIMIT
    assert limit < samba_dc.lockout_threshold
    client = browser()
    for _ in range(limit + 3):
        post_login(client, person.sam, "Wrong-Pass-1")
    assert bad_pwd_count(samba_dc, person.dn) == limit  # the extra attempts never bound
    lock = samba_dc.read(person.dn, "lockoutTime").get("lockoutTime")
    assert int(lock or 0) == 0
    assert not signed_in(post_login(browser(), person.sam, PASSWORD))  # our lock holds


def test_a_locked_directory_account_is_refused_and_our_unlock_clears_it(samba_dc, person):  # noqa: F811
    assert signed_in(post_login(browser(), person.sam, PASSWORD))
    user = User.objects.get(username__iexact=person.sam)
    samba_dc.lock_out(person.dn)  # the directory's own threshold, from other systems
    lock = directory_lock_for_user(user=user)
    assert lock.locked and lock.until is not None
    assert not signed_in(post_login(browser(), person.sam, PASSWORD))

    assert directory_lock_clear(user=user, how="agent") is True
    assert directory_lock_for_user(user=user).locked is False
    assert bad_pwd_count(samba_dc, person.dn) == 0
    assert samba_dc.bind_result(person.dn, PASSWORD)["result"] == 0
    assert signed_in(post_login(browser(), person.sam, PASSWORD))


def test_a_reset_writes_the_password_and_clears_the_directory_lock(samba_dc, person):  # noqa: F811
    assert signed_in(post_login(browser(), person.sam, PASSWORD))
    user = User.objects.get(username__iexact=person.sam)
    samba_dc.lock_out(person.dn)
    assert password_write(user=user, raw_password=NEW, reason="reset") is True
    assert directory_lock_for_user(user=user).locked is False
    assert samba_dc.bind_result(person.dn, NEW)["result"] == 0
    assert signed_in(post_login(browser(), person.sam, NEW))


@pytest.mark.parametrize(
    ("new", "code"),
    [("Ab1!xyz", "directory_too_short"), ("onlylowercaseletters", "directory_quality")],
)
def test_the_directory_s_refusal_is_a_translated_sentence(samba_dc, person, new, code):  # noqa: F811
    from django.utils import translation

    assert signed_in(post_login(browser(), person.sam, PASSWORD))
    user = User.objects.get(username__iexact=person.sam)
    sentences = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                password_write(user=user, raw_password=new, reason="reset")
            assert refused.value.code == code
            sentences[language] = str(refused.value.messages[0])
    assert sentences["en"] != sentences["zh-hans"]
    assert "0000052D" not in sentences["en"]
    assert samba_dc.bind_result(person.dn, PASSWORD)["result"] == 0  # nothing changed


def test_the_dc_down_gives_the_clear_page_and_counts_nothing(samba_dc, person):  # noqa: F811
    from directory.connection import connections_close

    connections_close()
    with samba_dc.stopped():
        response = post_login(browser(), person.sam, "Wrong-Pass-1")
        assert response.status_code == 503
        assert response["Retry-After"]
        assert b"directory" in response.content.lower()
    connections_close()
    assert bad_pwd_count(samba_dc, person.dn) == 0
    assert signed_in(post_login(browser(), person.sam, PASSWORD))


def test_filter_input_is_escaped(samba_dc, person):  # noqa: F811
    for typed in ("*)(sAMAccountName=*", "*", f"{person.sam[:3]}*"):
        response = post_login(browser(), typed, PASSWORD)
        assert not signed_in(response), typed
        assert response.status_code < 500
    assert bad_pwd_count(samba_dc, person.dn) == 0
    assert not User.objects.filter(username__contains="*").exists()


def test_the_login_page_still_answers(samba_dc, ad_directory):  # noqa: F811
    assert browser().get(LOGIN).status_code == 200


def test_after_a_reset_the_old_password_still_signs_in_for_ad_s_grace(samba_dc, person):  # noqa: F811
    # AD's "old password allowed period" (60 minutes by default; docs/directory.md): the portal
    # asks the directory, so it cannot refuse the old password sooner. The done page says so.
    assert signed_in(post_login(browser(), person.sam, PASSWORD))
    user = User.objects.get(username__iexact=person.sam)
    assert password_write(user=user, raw_password=NEW, reason="reset") is True
    assert signed_in(post_login(browser(), person.sam, NEW))
    assert signed_in(post_login(browser(), person.sam, PASSWORD))
    assert not signed_in(post_login(browser(), person.sam, "Qiu-Tian-2026!"))


def test_sign_in_by_upn_and_down_level_name(samba_dc, person):  # noqa: F811
    for typed in (person.upn, f"CORP\\{person.sam}"):
        assert signed_in(post_login(browser(), typed, PASSWORD)), typed
    assert User.objects.filter(directory_account__dn=person.dn).count() == 1


def test_a_disabled_directory_account_cannot_sign_in_or_reset(samba_dc, person):  # noqa: F811
    assert signed_in(post_login(browser(), person.sam, PASSWORD))
    user = User.objects.get(username__iexact=person.sam)
    samba_dc.modify(person.dn, {"userAccountControl": [(ldap3.MODIFY_REPLACE, [514])]})
    assert not signed_in(post_login(browser(), person.sam, PASSWORD))
    with pytest.raises(ValidationError):
        password_write(user=user, raw_password=NEW, reason="reset")
