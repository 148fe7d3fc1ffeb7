"""The code exchange on PostgreSQL, outermost transactions as in production: what it costs the
database (a budget, so it cannot regrow), and a code exchanged twice at once (exactly one wins,
and the winner's tokens are revoked as for any replayed code).

Each message to PostgreSQL counts as one query (``BEGIN`` and ``COMMIT`` too; Django logs a
``BEGIN``/``COMMIT`` pair for DOT's empty ID-token transaction, which sends nothing)."""

from __future__ import annotations

import json
import threading
from http import HTTPStatus

import pytest
from django.test import Client as Browser
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.signals import app_authorized

from audit.models import AuditEvent
from sso.models import AppSignIn, CodeUse
from sso.validator import PortalValidator, digest
from tests.concurrency import at_once
from tests.sso.oidc import authorize_query, code_from, exchange, pkce, register

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()

# The grant with its client, person and subject; the app sign-in; DOT's (empty) ID-token
# transaction; then one transaction: DOT's grant read for RFC 8707 resources, the ID, access and
# refresh tokens, one message with the sign-in, the audit row and the code deleted and recorded.
# (DOT reads the access token back for its ``app_authorized`` signal only when something
# receives it: sso.views.TokenView.)
CODE_EXCHANGE_BUDGET = 11


@pytest.fixture
def rp():
    return register()


def _code(browser, rp) -> tuple[str, str]:
    verifier, challenge = pkce()
    return code_from(browser.get(authorize_query(rp, challenge=challenge))), verifier


def test_a_code_exchange_stays_within_its_query_budget(user, rp, django_assert_max_num_queries):
    browser = Browser()
    browser.force_login(user)
    exchange(Browser(), rp, *_code(browser, rp))  # warm: the subject exists
    code, verifier = _code(browser, rp)
    with django_assert_max_num_queries(CODE_EXCHANGE_BUDGET):
        response = exchange(Browser(), rp, code, verifier)
    assert response.status_code == HTTPStatus.OK
    assert "id_token" in response.json()
    use = CodeUse.objects.get(code_digest=digest(code))
    tokens = response.json()
    assert use.access_token_digest == digest(tokens["access_token"])
    refresh = RefreshToken.objects.get(token_checksum=digest(tokens["refresh_token"]))
    assert use.token_family == refresh.token_family
    signin = AppSignIn.objects.get(code_digest=digest(code))
    assert signin.token_family == refresh.token_family and signin.signed_in_at is not None
    assert AccessToken.objects.get(token_checksum=use.access_token_digest).id_token is not None


def test_a_receiver_of_dots_app_authorized_signal_still_gets_the_issued_token(user, rp):
    received = []

    def receiver(sender, request, token, **kwargs):
        received.append(token)

    browser = Browser()
    browser.force_login(user)
    app_authorized.connect(receiver)
    try:
        response = exchange(Browser(), rp, *_code(browser, rp))
    finally:
        app_authorized.disconnect(receiver)
    assert response.status_code == HTTPStatus.OK
    assert [token.token_checksum for token in received] == [digest(response.json()["access_token"])]
    assert not app_authorized.has_listeners()
    response = exchange(Browser(), rp, *_code(browser, rp))  # without one: the same answer
    assert response.status_code == HTTPStatus.OK and "id_token" in response.json()
    assert response["Cache-Control"] == "no-store" and response["Pragma"] == "no-cache"


def test_two_exchanges_of_one_code_at_once_one_wins_and_its_tokens_are_revoked(
    user, rp, monkeypatch
):
    browser = Browser()
    browser.force_login(user)
    code, verifier = _code(browser, rp)
    both_validated = threading.Barrier(2)
    save = PortalValidator.save_bearer_token

    def after_both_validated(self, token, request, *args, **kwargs):
        both_validated.wait(timeout=30)  # both read the code and passed every check
        return save(self, token, request, *args, **kwargs)

    monkeypatch.setattr(PortalValidator, "save_bearer_token", after_both_validated)
    issued_before = AuditEvent.objects.filter(event="sso.token_issued").count()

    responses = at_once(2, lambda i, start: exchange(Browser(), rp, code, verifier))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [HTTPStatus.OK, HTTPStatus.BAD_REQUEST]
    won = next(r for r in responses if r.status_code == HTTPStatus.OK).json()
    lost = json.loads(next(r for r in responses if r.status_code != HTTPStatus.OK).content)
    assert lost["error"] == "invalid_grant"
    # The loser's writes were rolled back; the winner's tokens are revoked (a replayed code).
    assert CodeUse.objects.filter(code_digest=digest(code)).count() == 1
    assert AuditEvent.objects.filter(event="sso.token_issued").count() == issued_before + 1
    assert not AccessToken.objects.filter(token_checksum=digest(won["access_token"])).exists()
    assert RefreshToken.objects.filter(user=user, revoked__isnull=True).count() == 0
    assert RefreshToken.objects.filter(user=user).count() == 1
    revoked = AuditEvent.objects.filter(event="sso.token_revoked").latest("id")
    assert revoked.data["reason"] == "code_replayed"
