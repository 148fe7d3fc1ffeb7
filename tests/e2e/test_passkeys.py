"""Passkeys in Chromium with the DevTools protocol's virtual authenticator (WebAuthn domain): a
platform authenticator (CTAP2, internal transport, discoverable credentials, user verification)
that the page's navigator.credentials talks to as to a real one."""

from __future__ import annotations

import re

import pytest
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from signin.models import Lock
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _relying_party(settings, live_server):
    """The live server is http://localhost:<port>: the relying party and origin follow it, as
    portal/settings.py derives them from PORTAL_BASE_URL."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")


@pytest.fixture
def authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def _sign_in_with_password(page, username: str, password: str = DEFAULT_PASSWORD):
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def _register(page, name: str):
    page.goto("/account/passkeys/add/")
    page.fill("input[name=name]", name)
    page.locator("[data-passkey=register] [data-passkey-start]").click()
    page.wait_for_url(re.compile(r":\d+/account/passkeys/$"))


def _sign_in_with_passkey(page, *, next_url: str = ""):
    page.goto("/accounts/login/" + (f"?next={next_url}" if next_url else ""))
    page.locator("[data-passkey=signin] [data-passkey-start]").click()


def _sign_out(page):
    page.context.clear_cookies()


def test_register_then_sign_in_without_a_username(page, authenticator):
    cdp, auth_id = authenticator
    problems = []  # the portal's CSP: no violation, no script error on the passkey pages
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None,
    )
    user = UserFactory(username="li.na", language="zh-hans")
    _sign_in_with_password(page, "li.na")
    _register(page, "工作电脑")

    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.name == "工作电脑"
    assert passkey.discoverable is True
    assert passkey.backup_eligible is False and passkey.backup_state is False
    assert page.get_by_text("工作电脑").count() >= 1
    assert AuditEvent.objects.filter(event="passkeys.registered", user=user).count() == 1
    (held,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": auth_id})["credentials"]
    assert held["isResidentCredential"] is True and held["rpId"] == "localhost"

    _sign_out(page)
    _sign_in_with_passkey(page)
    page.wait_for_url(re.compile(r":\d+/account/$"))
    assert page.locator("input[name=username]").count() == 0  # nobody typed a name
    row = AuditEvent.objects.filter(event="signin.succeeded", user=user).latest("pk")
    assert row.data["second_step"] == "passkey"
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None and passkey.sign_count >= 1
    # The passkey is both steps: the session is verified, so "confirm it's you" lets it through
    # at once; "last used" shows on the passkeys page.
    page.goto("/account/two-step/verify/?next=/account/passkeys/")
    page.wait_for_url(re.compile(r":\d+/account/passkeys/$"))
    assert page.locator("tbody tr").count() == 1
    assert "从未" not in page.locator("tbody tr").inner_text()
    assert problems == []


def test_sign_in_with_a_passkey_while_the_password_is_locked(page, authenticator):
    user = UserFactory(username="zhao.lei")
    _sign_in_with_password(page, "zhao.lei")
    _register(page, "phone")
    _sign_out(page)

    for n in range(5):
        _sign_in_with_password(page, "zhao.lei", f"wrong guess {n}")
    assert re.search(r"LK-[0-9A-Z]{5}", page.locator("main").inner_text())
    _sign_in_with_password(page, "zhao.lei")  # the right password is refused while locked
    assert "/account/" not in page.url
    locked = AuditEvent.objects.filter(event="signin.refused", user=user).latest("pk")
    lock = Lock.objects.get(user=user, ended_at__isnull=True)

    _sign_in_with_passkey(page, next_url="/account/passkeys/")
    page.wait_for_url(re.compile(r":\d+/account/passkeys/$"))
    (row,) = AuditEvent.objects.filter(event="signin.succeeded", user=user, pk__gt=locked.pk)
    assert row.data["second_step"] == "passkey"
    # The password's lock is untouched: it is about guessed passwords, and it still holds.
    assert Lock.objects.get(pk=lock.pk).is_active()


def test_a_cloned_authenticators_stale_counter_is_refused(page, authenticator):
    cdp, auth_id = authenticator
    user = UserFactory(username="sun.yu", language="en")
    _sign_in_with_password(page, "sun.yu")
    _register(page, "key")
    _sign_out(page)
    _sign_in_with_passkey(page)
    page.wait_for_url(re.compile(r":\d+/account/$"))
    _sign_out(page)
    stored = WebAuthnCredential.objects.get(user=user).sign_count
    assert stored >= 1

    # The clone: the same private key on an authenticator whose counter is behind the portal's.
    (original,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": auth_id})["credentials"]
    cdp.send(
        "WebAuthn.removeCredential",
        {"authenticatorId": auth_id, "credentialId": original["credentialId"]},
    )
    clone = {k: original[k] for k in ("credentialId", "isResidentCredential", "rpId", "privateKey")}
    clone |= {"userHandle": original["userHandle"], "signCount": 0}
    cdp.send("WebAuthn.addCredential", {"authenticatorId": auth_id, "credential": clone})

    _sign_in_with_passkey(page)
    status = page.locator("[data-passkey=signin] [data-passkey-status]")
    status.filter(has_text=re.compile("复制到另一台设备")).wait_for()
    assert "/accounts/login/" in page.url
    event = AuditEvent.objects.get(event="passkeys.clone_suspected")
    assert event.user_id == user.pk
    assert event.data["stored"] == stored and event.data["sent"] <= stored
    assert WebAuthnCredential.objects.get(user=user).sign_count == stored  # not moved back
    assert not AuditEvent.objects.filter(event="signin.succeeded", pk__gt=event.pk).exists()


def test_remove_a_passkey_after_confirming_the_password(page, authenticator):
    user = UserFactory(username="qian.wei", language="en")
    _sign_in_with_password(page, "qian.wei")
    _register(page, "old laptop")
    page.goto("/account/passkeys/")
    page.locator("a[href$='/remove/']").click()
    page.fill("input[name=current_password]", "not it")
    with page.expect_navigation():
        page.locator("#passkey-remove-form button[type=submit]").click()
    assert WebAuthnCredential.objects.filter(user=user).count() == 1  # a wrong password: kept
    page.fill("input[name=current_password]", DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.locator("#passkey-remove-form button[type=submit]").click()
    page.wait_for_url(re.compile(r":\d+/account/passkeys/$"))
    assert WebAuthnCredential.objects.filter(user=user).count() == 0
    assert AuditEvent.objects.get(event="passkeys.removed", user=user).data["confirmed_by"] == (
        "password"
    )

    # Removed from the portal, still on the device: it no longer signs anyone in.
    _sign_out(page)
    _sign_in_with_passkey(page)
    status = page.locator("[data-passkey=signin] [data-passkey-status]")
    status.filter(has_text=re.compile("未在门户注册")).wait_for()


def test_remove_a_passkey_after_confirming_with_a_passkey(page, authenticator):
    user = UserFactory(username="zhou.min", language="en")
    _sign_in_with_password(page, "zhou.min")
    _register(page, "first")
    page.goto("/account/passkeys/")
    page.locator("a[href$='/remove/']").click()
    with page.expect_navigation():
        page.locator("[data-passkey=confirm] [data-passkey-start]").click()
    page.wait_for_url(re.compile(r":\d+/account/passkeys/$"))
    assert WebAuthnCredential.objects.filter(user=user).count() == 0
    assert AuditEvent.objects.get(event="passkeys.removed", user=user).data["confirmed_by"] == (
        "passkey"
    )


def _status(page, mode: str):
    return page.locator(f"[data-passkey={mode}] [data-passkey-status]")


def test_the_browsers_errors_have_their_own_messages(page, authenticator):
    # No passkey for the portal on this device: NotAllowedError, said so.
    _sign_in_with_passkey(page)
    _status(page, "signin").filter(has_text="这台设备上没有本门户的通行密钥").wait_for()

    # The same device registered twice: InvalidStateError (excludeCredentials), said so.
    UserFactory(username="wu.hao")
    _sign_in_with_password(page, "wu.hao")
    _register(page, "laptop")
    page.goto("/account/passkeys/add/")
    page.locator("[data-passkey=register] [data-passkey-start]").click()
    _status(page, "register").filter(has_text="这台设备上已有您账户的通行密钥").wait_for()
    assert WebAuthnCredential.objects.filter(user__username="wu.hao").count() == 1


def test_a_browser_without_passkeys_is_told_so(page):
    page.add_init_script("delete window.PublicKeyCredential;")
    page.goto("/accounts/login/")
    _status(page, "signin").filter(has_text="不支持通行密钥").wait_for()
    assert page.locator("[data-passkey=signin] [data-passkey-start]").is_disabled()
    assert page.locator("input[name=username]").is_visible()  # the password still works


def test_staff_open_the_admin_with_a_passkey(page, authenticator):
    from tests.factories import StaffFactory

    StaffFactory(username="admin.chen")
    _sign_in_with_password(page, "admin.chen")
    _register(page, "yubikey")  # a session with no second step yet: the passkey becomes it
    _sign_out(page)
    page.goto("/admin/")
    assert "/admin/login/" in page.url
    page.locator("[data-passkey=signin] [data-passkey-start]").click()
    page.wait_for_url(re.compile(r":\d+/admin/$"))
    assert page.locator("#user-tools").count() == 1  # signed in, the session confirmed
