"""OpenID Connect Back-Channel Logout: sid in the ID token, a signed logout token POSTed to each
app with a session when the person signs out, their sessions end, the password changes or is
reset, the lock is cleared by a reset or the account is disabled; durable and retried through
the outbox, audited; the app's tokens revoked. A fake app on a loopback port receives the
tokens and checks them against the JWKS."""

from __future__ import annotations

import json
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone
from jwcrypto import jwk, jwt
from oauth2_provider.models import get_refresh_token_model

from accounts.services import user_password_set
from audit.models import AuditEvent
from messaging.models import OutboxMessage
from messaging.services import outbox_deliver, outbox_sweep
from signin.models import UserSession
from signin.signals import account_unlocked
from sso.backchannel import EVENT, logout_claims
from sso.models import AppSignIn, Subject
from tests.sso.fake_rp import FakeLogoutEndpoint
from tests.sso.oidc import (
    authorize_query,
    basic,
    code_from,
    exchange,
    pkce,
    refresh_works,
    register,
    signed_in_browser,
    tokens_for,
)

pytestmark = pytest.mark.django_db
RefreshToken = get_refresh_token_model()
NEW_PASSWORD = "Another-long-passphrase-42"


@pytest.fixture
def rp(db, app):
    registered = register()
    # Registered as an admin would in debug (a plain-http loopback address; the model's clean()
    # allows only https outside debug).
    registered.client.backchannel_logout_uri = app.url
    registered.client.save()
    return registered


def verified(browser, token: str) -> tuple[dict, dict]:
    keys = jwk.JWKSet.from_json(browser.get("/o/.well-known/jwks.json").content)
    checked = jwt.JWT(jwt=token, key=keys, algs=["RS256"])
    return json.loads(checked.header), json.loads(checked.claims)


def test_discovery_says_back_channel_logout_with_sid_is_supported(client):
    data = client.get("/.well-known/openid-configuration").json()
    assert data["backchannel_logout_supported"] is True
    assert data["backchannel_logout_session_supported"] is True


def test_the_id_token_carries_the_portal_sessions_sid_the_same_at_every_app(user, rp, app):
    other = register(name="OA")
    browser = signed_in_browser(user)
    _h, first = verified(browser, tokens_for(browser, rp)["id_token"])
    _h, second = verified(browser, tokens_for(browser, other)["id_token"])
    elsewhere = signed_in_browser(user)
    _h, third = verified(elsewhere, tokens_for(elsewhere, rp)["id_token"])
    assert first["sid"] and first["sid"] == second["sid"]
    assert third["sid"] != first["sid"]
    signin = AppSignIn.objects.get(client=rp.client, sid=first["sid"])
    assert signin.user_session == UserSession.objects.get(session_key=browser.session.session_key)
    assert signin.signed_in_at is not None and signin.token_family is not None
    assert signin.user_agent.endswith("Firefox/130.0")


def test_a_refreshed_id_token_keeps_its_sid(user, rp):
    browser = signed_in_browser(user)
    tokens = tokens_for(browser, rp)
    _h, claims = verified(browser, tokens["id_token"])
    response = browser.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=basic(rp),
    )
    assert response.status_code == HTTPStatus.OK
    _h, again = verified(browser, response.json()["id_token"])
    assert again["sid"] == claims["sid"]


def test_signing_out_of_the_portal_posts_a_signed_logout_token_and_revokes_the_apps_tokens(
    user, rp, app, django_capture_on_commit_callbacks
):
    browser = signed_in_browser(user)
    tokens = tokens_for(browser, rp)
    _h, id_claims = verified(browser, tokens["id_token"])
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/logout/")
    assert len(app.received) == 1
    assert app.headers[0]["Content-Type"] == "application/x-www-form-urlencoded"
    header, claims = verified(browser, app.tokens[0])
    assert header["alg"] == "RS256" and header["typ"] == "logout+jwt" and header["kid"]
    assert claims["iss"] == "https://portal.example.cn"
    assert claims["aud"] == rp.client_id
    assert claims["sub"] == str(Subject.objects.get(user=user).subject) == id_claims["sub"]
    assert claims["sid"] == id_claims["sid"]
    assert claims["events"] == {EVENT: {}}
    assert "nonce" not in claims
    assert claims["jti"] and claims["iat"] <= claims["exp"] <= claims["iat"] + 120
    assert not refresh_works(browser, rp, tokens["refresh_token"])
    sent = AuditEvent.objects.get(event="sso.logout_sent")
    assert sent.user == user and sent.data["client"] == rp.client_id
    assert "logout_token" not in json.dumps(sent.data)
    message = OutboxMessage.objects.get(kind="sso_backchannel_logout")
    assert message.status == "sent" and message.channel == "http"
    assert "ey" not in json.dumps(message.params)  # the row never holds a token
    assert AppSignIn.objects.get(client=rp.client).ended_how == "signed_out"


def test_sign_out_all_other_sessions_logs_out_only_the_other_browsers_apps(
    user, rp, app, django_capture_on_commit_callbacks
):
    here = signed_in_browser(user)
    there = signed_in_browser(user)
    mine = tokens_for(here, rp)
    theirs = tokens_for(there, rp)
    _h, there_claims = verified(there, theirs["id_token"])
    with django_capture_on_commit_callbacks(execute=True):
        here.post("/account/sessions/end-others/")
    assert [verified(here, t)[1]["sid"] for t in app.tokens] == [there_claims["sid"]]
    assert not refresh_works(there, rp, theirs["refresh_token"])
    assert refresh_works(here, rp, mine["refresh_token"])


@pytest.mark.parametrize("reason", ["change", "reset"])
def test_a_password_change_or_reset_logs_out_every_app_of_every_browser(
    user, rp, app, reason, django_capture_on_commit_callbacks
):
    other = register(name="OA")
    with FakeLogoutEndpoint() as oa_endpoint:
        other.client.backchannel_logout_uri = oa_endpoint.url
        other.client.save()
        here = signed_in_browser(user)
        tokens_for(here, rp)
        tokens_for(here, other)
        there = signed_in_browser(user)
        tokens_for(there, rp)
        with django_capture_on_commit_callbacks(execute=True):
            keep = here.session.session_key if reason == "change" else None
            user_password_set(
                user=user, raw_password=NEW_PASSWORD, reason=reason, keep_session_key=keep
            )
        assert len(app.received) == 2 and len(oa_endpoint.received) == 1
    assert not AppSignIn.objects.filter(ended_at__isnull=True).exists()
    assert not RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()
    assert AuditEvent.objects.filter(event="sso.logout_sent").count() == 3


def test_a_lock_cleared_by_a_reset_logs_out_the_apps(
    user, rp, app, django_capture_on_commit_callbacks
):
    browser = signed_in_browser(user)
    tokens_for(browser, rp)
    with django_capture_on_commit_callbacks(execute=True):
        account_unlocked.send(sender=None, username=user.username, user=user, how="reset")
    assert len(app.received) == 1
    assert AppSignIn.objects.get().ended_how == "unlocked_with_reset"


def test_a_lock_that_ran_out_logs_nobody_out(user, rp, app, django_capture_on_commit_callbacks):
    browser = signed_in_browser(user)
    tokens_for(browser, rp)
    with django_capture_on_commit_callbacks(execute=True):
        account_unlocked.send(sender=None, username=user.username, user=user, how="expired")
    assert app.received == []


def test_disabling_the_account_logs_out_its_apps(user, rp, app, django_capture_on_commit_callbacks):
    browser = signed_in_browser(user)
    tokens = tokens_for(browser, rp)
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save()
    assert len(app.received) == 1
    assert not refresh_works(browser, rp, tokens["refresh_token"])
    assert AppSignIn.objects.get().ended_how == "account_disabled"


def test_saving_an_active_account_logs_nobody_out(
    user, rp, app, django_capture_on_commit_callbacks
):
    browser = signed_in_browser(user)
    tokens_for(browser, rp)
    with django_capture_on_commit_callbacks(execute=True):
        user.first_name = "伟"
        user.save()
    assert app.received == []


def test_an_app_that_is_down_gets_the_logout_later_with_a_fresh_token(
    user, rp, app, django_capture_on_commit_callbacks
):
    app.answers = [HTTPStatus.SERVICE_UNAVAILABLE]
    browser = signed_in_browser(user)
    tokens_for(browser, rp)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/logout/")
    message = OutboxMessage.objects.get(kind="sso_backchannel_logout")
    assert message.status == "queued" and message.attempts == 1
    assert "HTTP 503" in message.last_error
    assert message.next_attempt_at > timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert outbox_deliver(message_id=message.pk) == "sent"
    first, second = (verified(browser, token)[1] for token in app.tokens)
    assert first["jti"] == second["jti"]  # the same logout, signed again
    assert AuditEvent.objects.filter(event="sso.logout_sent").count() == 1
    assert not AuditEvent.objects.filter(event="sso.logout_failed").exists()


def test_an_app_that_refuses_the_token_is_a_failed_logout_audited(
    user, rp, app, django_capture_on_commit_callbacks
):
    app.answers = [HTTPStatus.BAD_REQUEST]
    browser = signed_in_browser(user)
    tokens = tokens_for(browser, rp)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/logout/")
    assert OutboxMessage.objects.get(kind="sso_backchannel_logout").status == "failed"
    failed = AuditEvent.objects.get(event="sso.logout_failed")
    assert failed.data["client"] == rp.client_id and "HTTP 400" in failed.data["error"]
    # Its tokens are revoked whatever the app answered.
    assert not refresh_works(browser, rp, tokens["refresh_token"])


def test_an_app_without_a_logout_uri_only_loses_its_tokens(
    user, app, django_capture_on_commit_callbacks
):
    plain = register(name="Wiki")
    browser = signed_in_browser(user)
    tokens = tokens_for(browser, plain)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post("/accounts/logout/")
    assert not OutboxMessage.objects.filter(kind="sso_backchannel_logout").exists()
    assert not refresh_works(browser, plain, tokens["refresh_token"])


def test_a_code_issued_before_the_browser_signed_out_gets_no_token(user, rp, app):
    browser = signed_in_browser(user)
    verifier, challenge = pkce()
    code = code_from(browser.get(authorize_query(rp, challenge=challenge)))
    browser.post("/accounts/logout/")
    response = exchange(browser, rp, code, verifier)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["error"] == "invalid_grant"


def test_the_logout_token_expires_quickly_and_the_row_in_an_hour(user, rp, app, settings):
    claims = logout_claims(client=rp.client, sub="s", sid="x", jti="j", now=1000)
    assert claims["exp"] - claims["iat"] == 120
    browser = signed_in_browser(user)
    tokens_for(browser, rp)
    before = timezone.now()
    browser.post("/accounts/logout/")
    message = OutboxMessage.objects.get(kind="sso_backchannel_logout")
    assert before + timedelta(minutes=59) < message.expires_at
    assert message.expires_at <= timezone.now() + timedelta(hours=1)


def test_a_logout_that_expires_in_the_outbox_sweep_is_a_failed_logout_audited(user, rp, app):
    browser = signed_in_browser(user)
    tokens_for(browser, rp)
    browser.post("/accounts/logout/")  # its delivery never queued: the broker was down
    message = OutboxMessage.objects.get(kind="sso_backchannel_logout")
    OutboxMessage.objects.filter(pk=message.pk).update(expires_at=timezone.now())
    assert outbox_sweep()["expired"] == 1
    assert OutboxMessage.objects.get(pk=message.pk).status == "expired"
    failed = AuditEvent.objects.get(event="sso.logout_failed")
    assert failed.data["client"] == rp.client_id and failed.data["error"] == "expired"
    assert outbox_sweep()["expired"] == 0  # once
    assert AuditEvent.objects.filter(event="sso.logout_failed").count() == 1
