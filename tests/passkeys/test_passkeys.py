"""Passkeys through their JSON ceremonies and pages, with a software authenticator that speaks
WebAuthn's real formats: register, sign in without a name, the clone check, the own failure
counter (never the password's lockout), removal after a confirmation, the admin's second step."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django_otp_webauthn.models import WebAuthnCredential

from audit.models import AuditEvent
from messaging.models import OutboxMessage
from passkeys.selectors import user_has_passkey
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tests.passkeys.authenticator import SoftAuthenticator

pytestmark = pytest.mark.django_db

SIGNIN_BEGIN = "/accounts/login/passkey/begin/"
SIGNIN_COMPLETE = "/accounts/login/passkey/complete/"
ADD_BEGIN, ADD_COMPLETE = "/account/passkeys/add/begin/", "/account/passkeys/add/complete/"


def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def post_json(client: Client, url: str, body: dict | None = None, **extra):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **extra)


def register(client: Client, authenticator: SoftAuthenticator, name: str = "laptop", next_url=""):
    options = post_json(client, ADD_BEGIN).json()
    url = ADD_COMPLETE + (f"?next={next_url}" if next_url else "")
    return post_json(client, url, {"name": name, "credential": authenticator.create(options)})


def with_passkey(user) -> SoftAuthenticator:
    authenticator = SoftAuthenticator()
    client = browser()
    client.force_login(user)
    assert register(client, authenticator).status_code == 200
    return authenticator


def passkey_signin(client: Client, authenticator: SoftAuthenticator, *, next_url="", **get):
    options = post_json(client, SIGNIN_BEGIN).json()
    return post_json(
        client, SIGNIN_COMPLETE, authenticator.get(options, **get) | {"next": next_url}
    )


def test_register_keeps_the_passkey_named_with_its_flags_and_audits():
    user = UserFactory()
    client = browser()
    client.force_login(user)
    options = post_json(client, ADD_BEGIN).json()
    assert options["rp"]["id"] == "portal.example.cn"
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["authenticatorSelection"]["residentKey"] == "required"

    authenticator = SoftAuthenticator()
    response = post_json(
        client,
        ADD_COMPLETE + "?next=/account/",
        {"name": "  Work   laptop ", "credential": authenticator.create(options)},
    )
    assert response.status_code == 200 and response.json()["redirect_url"] == "/account/"
    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.name == "Work laptop"
    assert passkey.discoverable is True and passkey.sign_count == 0
    assert passkey.backup_eligible is False and passkey.backup_state is False
    assert user_has_passkey(user_id=user.pk)
    (row,) = AuditEvent.objects.filter(event="passkeys.registered")
    assert row.user_id == user.pk and row.data["name"] == "Work laptop"
    (notice,) = OutboxMessage.objects.filter(kind="passkey_added", channel="email")
    assert "Work laptop" in notice.body_text and notice.recipient == user.email

    # The same authenticator again: excluded in the options, refused if sent anyway.
    options = post_json(client, ADD_BEGIN).json()
    assert [c["id"] for c in options["excludeCredentials"]] == [authenticator.create(options)["id"]]
    again = post_json(client, ADD_COMPLETE, {"credential": authenticator.create(options)})
    assert again.status_code == 409 and again.json()["code"] == "already_registered"
    assert WebAuthnCredential.objects.filter(user=user).count() == 1


def test_sign_in_without_a_username_is_both_steps():
    user = StaffFactory()
    authenticator = with_passkey(user)
    client = browser()
    options = post_json(client, SIGNIN_BEGIN).json()
    assert options["allowCredentials"] == []  # nothing about any account
    assert options["userVerification"] == "preferred"
    response = post_json(
        client, SIGNIN_COMPLETE, authenticator.get(options) | {"next": "https://evil.example/"}
    )
    assert response.status_code == 200
    assert response.json()["redirect_url"] == "/account/"  # a foreign next is dropped
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/admin/").status_code == 200  # verified: the admin opens
    row = AuditEvent.objects.filter(event="signin.succeeded").latest("pk")
    assert row.user_id == user.pk and row.data["second_step"] == "passkey"
    passkey = WebAuthnCredential.objects.get(user=user)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_a_local_next_is_kept():
    user = UserFactory()
    authenticator = with_passkey(user)
    response = passkey_signin(browser(), authenticator, next_url="/account/passkeys/")
    assert response.json()["redirect_url"] == "/account/passkeys/"


def test_a_stale_counter_is_refused_and_audited():
    user = UserFactory()
    authenticator = with_passkey(user)
    assert passkey_signin(browser(), authenticator).status_code == 200
    assert passkey_signin(browser(), authenticator).status_code == 200
    clone = SoftAuthenticator()
    clone.key, clone.credential_id, clone.user_handle = (
        authenticator.key,
        authenticator.credential_id,
        authenticator.user_handle,
    )
    client = browser()
    response = passkey_signin(client, clone)  # its counter says 1, the portal saw 2
    assert response.status_code == 403 and response.json()["code"] == "stale_counter"
    assert "_auth_user_id" not in client.session
    (row,) = AuditEvent.objects.filter(event="passkeys.clone_suspected")
    assert row.user_id == user.pk and row.data == {
        "purpose": "signin",
        "reason": "stale_counter",
        "passkey": WebAuthnCredential.objects.get(user=user).pk,
        "stored": 2,
        "sent": 1,
    }
    assert WebAuthnCredential.objects.get(user=user).sign_count == 2


def test_a_made_up_answer_for_a_real_passkey_is_not_called_a_clone():
    user = UserFactory()
    authenticator = with_passkey(user)
    assert passkey_signin(browser(), authenticator).status_code == 200
    forger = SoftAuthenticator()  # another key, the real passkey's id, a low counter
    forger.credential_id = authenticator.credential_id
    response = passkey_signin(browser(), forger)
    assert response.status_code == 403 and response.json()["code"] != "stale_counter"
    assert not AuditEvent.objects.filter(event="passkeys.clone_suspected").exists()


def test_failures_count_on_their_own_counter_never_the_passwords(settings):
    settings.PASSKEYS_FAILURES_PER_IP = "3/15m"
    user = UserFactory()
    authenticator = with_passkey(user)
    client = browser()
    for _ in range(3):
        response = passkey_signin(client, authenticator, origin="https://phish.example")
        assert response.status_code == 403
    assert AuditEvent.objects.filter(event="passkeys.failed").count() == 3
    waiting = passkey_signin(client, authenticator)  # even a good answer waits now
    assert waiting.status_code == 429 and int(waiting["Retry-After"]) > 0
    assert waiting.json()["code"] == "too_many"
    # The password's lockout never heard of them: the password still signs in.
    assert not AuditEvent.objects.filter(event__in=["signin.failed", "signin.refused"]).exists()
    signed = browser().post(
        "/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert signed.status_code == 302 and signed["Location"] == "/account/"


def test_an_inactive_account_is_refused():
    user = UserFactory()
    authenticator = with_passkey(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    client = browser()
    response = passkey_signin(client, authenticator)
    assert response.status_code == 403 and response.json()["code"] == "disabled"
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event="passkeys.failed", data__reason="disabled").exists()


def test_an_unknown_passkey_and_a_replayed_answer_are_refused():
    response = passkey_signin(browser(), SoftAuthenticator())
    assert response.status_code == 403 and response.json()["code"] == "credential_not_found"
    assert "not registered" in response.json()["detail"]

    user = UserFactory()
    authenticator = with_passkey(user)
    client = browser()
    options = post_json(client, SIGNIN_BEGIN).json()
    answer = authenticator.get(options)
    assert post_json(client, SIGNIN_COMPLETE, answer).status_code == 200
    replay = post_json(browser(), SIGNIN_COMPLETE, answer)  # no ceremony started there
    assert replay.status_code == 400 and replay.json()["code"] == "no_state"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"id": 5, "rawId": [], "response": "x"}', b"{}", b'"\\u0000"'],
)
def test_junk_gets_a_4xx_and_changes_nothing(body):
    client = browser()
    post_json(client, SIGNIN_BEGIN)
    response = client.post(SIGNIN_COMPLETE, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_junk_registration_gets_a_4xx():
    client = browser()
    client.force_login(UserFactory())
    post_json(client, ADD_BEGIN)
    response = post_json(client, ADD_COMPLETE, {"credential": {"id": "x", "response": {}}})
    assert response.status_code == 422
    assert not WebAuthnCredential.objects.exists()
    assert AuditEvent.objects.filter(event="passkeys.register_failed").exists()


def test_remove_needs_the_password_or_a_passkey():
    user = UserFactory()
    authenticator = with_passkey(user)
    passkey = WebAuthnCredential.objects.get(user=user)
    client = browser()
    client.force_login(user)
    url = f"/account/passkeys/{passkey.pk}/remove/"
    assert client.get(url).status_code == 200
    assert client.post(url, {}).status_code == 400  # neither
    wrong = client.post(url, {"current_password": "not it"})
    assert wrong.status_code == 400 and WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    assert AuditEvent.objects.filter(event="passkeys.remove_refused").exists()
    assert AuditEvent.objects.filter(event="signin.failed").exists()  # a typed password counts

    options = post_json(client, "/account/passkeys/confirm/begin/").json()
    assert [c["id"] for c in options["allowCredentials"]] == [authenticator.get(options)["id"]]
    confirmed = post_json(client, "/account/passkeys/confirm/complete/", authenticator.get(options))
    assert confirmed.json() == {"confirmed": True}
    assert client.post(url, {}).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    (row,) = AuditEvent.objects.filter(event="passkeys.removed")
    assert row.data["confirmed_by"] == "passkey" and row.data["passkey"] == passkey.pk
    assert OutboxMessage.objects.filter(kind="passkey_removed", channel="email").count() == 1


def test_another_persons_passkey_cannot_be_renamed_or_removed():
    owner, other = UserFactory(), UserFactory()
    with_passkey(owner)
    passkey = WebAuthnCredential.objects.get(user=owner)
    client = browser()
    client.force_login(other)
    assert client.get(f"/account/passkeys/{passkey.pk}/remove/").status_code == 404
    client.post(f"/account/passkeys/{passkey.pk}/rename/", {"name": "mine now"})
    passkey.refresh_from_db()
    assert passkey.name == "laptop"
    client.force_login(owner)
    client.post(f"/account/passkeys/{passkey.pk}/rename/", {"name": "Phone"})
    passkey.refresh_from_db()
    assert passkey.name == "Phone"
    assert AuditEvent.objects.filter(event="passkeys.renamed", user=owner).count() == 1


def test_the_security_pages_list_passkeys_with_when_last_used():
    user = UserFactory()
    authenticator = with_passkey(user)
    passkey_signin(browser(), authenticator)
    client = browser()
    client.force_login(user)
    page = client.get("/account/passkeys/").content.decode()
    assert "laptop" in page and "never" not in page
    overview = client.get("/account/").content.decode()
    assert "laptop" in overview and "/account/passkeys/" in overview


def test_staff_may_confirm_the_session_with_a_passkey():
    staff = StaffFactory()
    authenticator = with_passkey(staff)
    client = browser()
    client.force_login(staff)  # signed in, not confirmed
    assert client.get("/admin/").status_code == 302
    page = client.get("/account/two-step/verify/?next=/admin/")
    assert page.status_code == 200 and b'data-passkey="verify"' in page.content
    options = post_json(client, "/account/two-step/passkey/begin/").json()
    done = post_json(
        client,
        "/account/two-step/passkey/complete/",
        authenticator.get(options) | {"next": "/admin/"},
    )
    assert done.json() == {"redirect_url": "/admin/"}
    assert client.get("/admin/").status_code == 200
    assert AuditEvent.objects.filter(event="passkeys.verify_ok", user=staff).exists()


def test_staff_without_a_passkey_are_sent_to_add_one(settings):
    from tests.factories import otp_force_login

    settings.SIGNIN_STAFF_PASSKEY_REQUIRED = True
    staff = StaffFactory()
    client = browser()
    otp_force_login(client, staff)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/account/passkeys/add/?next=%2Fadmin%2F"
    assert b"As staff, you need a passkey" in client.get(response["Location"]).content
    assert register(client, SoftAuthenticator(), next_url="/admin/").json()["redirect_url"] == (
        "/admin/"
    )
    assert client.get("/admin/").status_code == 200
    # The last passkey stays while the setting is on.
    passkey = WebAuthnCredential.objects.get(user=staff)
    refused = client.post(
        f"/account/passkeys/{passkey.pk}/remove/", {"current_password": DEFAULT_PASSWORD}
    )
    assert refused.status_code == 400 and WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_the_login_pages_offer_a_passkey_without_inline_script():
    for url in ("/accounts/login/", "/admin/login/"):
        page = browser().get(url)
        html = page.content.decode()
        assert 'data-passkey="signin"' in html, url
        assert "/static/passkeys/passkeys.js" in html
        assert "<script>" not in html
        assert "'unsafe-inline'" not in page["Content-Security-Policy"]


def test_the_authorize_steps_sign_in_offers_a_passkey_and_returns_to_the_app():
    from tests.sso.oidc import authorize_query, code_from, exchange, pkce, register

    rp = register()
    user = UserFactory()
    authenticator = with_passkey(user)
    verifier, challenge = pkce()
    authorize = authorize_query(rp, challenge=challenge)
    client = browser()
    to_login = client.get(authorize)
    assert to_login.status_code == 302
    login = client.get(to_login["Location"])
    html = login.content.decode()
    assert "销售易 CRM" in html and 'data-passkey="signin"' in html
    next_url = login.context["next"]
    assert next_url == authorize

    done = passkey_signin(client, authenticator, next_url=next_url)
    assert done.json()["redirect_url"] == authorize
    code = code_from(client.get(authorize))
    assert exchange(client, rp, code, verifier).status_code == 200

    # An authorization request to a redirect URI the client never registered is not followed.
    foreign = authorize_query(rp, challenge=challenge, redirect_uri="https://evil.example/cb")
    again = passkey_signin(browser(), authenticator, next_url=foreign)
    assert again.json()["redirect_url"] == "/account/"


def test_an_agent_removes_a_passkey_in_the_admin_audited_and_the_owner_told():
    from tests.factories import SuperuserFactory, otp_force_login

    owner = UserFactory()
    with_passkey(owner)
    passkey = WebAuthnCredential.objects.get(user=owner)
    agent = SuperuserFactory()
    client = browser()
    otp_force_login(client, agent)
    base = "/admin/django_otp_webauthn/webauthncredential/"
    listing = client.get(base)
    assert listing.status_code == 200 and "laptop" in listing.content.decode()
    page = client.get(f"{base}{passkey.pk}/change/").content.decode()
    assert "public_key" not in page and passkey.public_key.hex() not in page
    assert client.post(f"{base}{passkey.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not WebAuthnCredential.objects.filter(pk=passkey.pk).exists()
    (row,) = AuditEvent.objects.filter(event="passkeys.removed")
    assert row.actor_id == agent.pk and row.user_id == owner.pk
    assert row.data["confirmed_by"] == "agent"
    assert OutboxMessage.objects.filter(kind="passkey_removed", user=owner).exists()


@pytest.mark.postgres
def test_a_passkey_sign_in_within_its_statement_budget(django_assert_max_num_queries):
    """Begin: the session read and its row written. Complete: the state taken out of the
    session and saved at once (never used twice), the passkey read, its counter written, the
    old session replaced; the sign-in's records are one message (signin.services)."""
    user = UserFactory()
    authenticator = with_passkey(user)
    client = browser()
    with django_assert_max_num_queries(3):
        options = post_json(client, SIGNIN_BEGIN).json()
    answer = authenticator.get(options)
    with django_assert_max_num_queries(9):
        assert post_json(client, SIGNIN_COMPLETE, answer).status_code == 200


def test_a_passkey_instead_of_the_code_after_the_password():
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = UserFactory()
    authenticator = with_passkey(user)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)  # a code step
    other = with_passkey(UserFactory())
    client = browser()
    client.post(
        "/accounts/login/?next=/account/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    page = client.get("/accounts/login/code/")
    assert page.status_code == 200 and b'data-passkey="second-step"' in page.content
    options = post_json(client, SIGNIN_BEGIN).json()
    wrong = post_json(client, "/accounts/login/code/passkey/", other.get(options))
    assert wrong.status_code == 403 and "_auth_user_id" not in client.session  # not theirs
    options = post_json(client, SIGNIN_BEGIN).json()
    done = post_json(client, "/accounts/login/code/passkey/", authenticator.get(options))
    assert done.json() == {"redirect_url": "/account/"}
    assert int(client.session["_auth_user_id"]) == user.pk
    row = AuditEvent.objects.filter(event="signin.succeeded").latest("pk")
    assert row.data["second_step"] == "passkey"
    # Without a pending sign-in there is nothing to finish.
    late = post_json(browser(), "/accounts/login/code/passkey/", authenticator.get(options))
    assert late.status_code == 400 and late.json()["code"] == "no_pending"
