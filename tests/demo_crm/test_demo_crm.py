"""The demo CRM (demo_crm/): mounted only when DEBUG is on, seeded by ``seed_demo`` only then, and
a relying party that checks what the portal sends it: a callback whose ``state`` is not the one
its browser started is refused, and its back-channel logout endpoint accepts only a logout
token that verifies (signature against the portal's JWKS, ``iss``, ``aud``, ``events``, no
``nonce``, a ``sid`` or ``sub``), ending only the sessions of that ``sid``."""

from __future__ import annotations

import io
import json
import uuid
from http import HTTPStatus

import pytest
import requests
from django.core.management import call_command
from jwcrypto import jwk, jwt

from demo_crm import store
from sso import backchannel
from sso.models import Client

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_crm_is_not_mounted_when_debug_is_off(client):
    assert client.get("/demo-crm/").status_code == HTTPStatus.NOT_FOUND
    assert client.get("/demo-crm/sign-in/").status_code == HTTPStatus.NOT_FOUND
    assert client.post("/demo-crm/backchannel-logout/").status_code == HTTPStatus.NOT_FOUND


def test_seed_demo_registers_no_demo_client_when_debug_is_off():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert not Client.objects.filter(client_id="demo-crm").exists()
    assert "Demo CRM: not seeded" in out.getvalue()


@pytest.mark.usefixtures("demo_portal")
def test_seed_demo_with_demo_crm_enabled_and_debug_off_registers_https_uris(settings):
    # `make stack`: debug off, DEMO_CRM_ENABLED=1, the portal behind TLS.
    settings.DEMO_CRM_ENABLED = True
    settings.PORTAL_BASE_URL = "https://127.0.0.1:8443"
    call_command("seed_demo", stdout=io.StringIO())
    client = Client.objects.get(client_id="demo-crm")
    assert client.redirect_uris.split() == [
        "https://127.0.0.1:8443/demo-crm/callback/",
        "https://localhost:8443/demo-crm/callback/",
    ]


@pytest.mark.usefixtures("demo_portal")
def test_seed_demo_in_debug_registers_the_demo_client_once_with_its_known_secret(settings):
    settings.DEBUG = True
    settings.PORTAL_BASE_URL = "http://127.0.0.1:8000"
    for _ in range(2):
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
    client = Client.objects.get(client_id="demo-crm")
    assert client.name == "Demo CRM" and client.skip_authorization and client.profile == "standard"
    assert client.redirect_uris.split() == [
        "http://127.0.0.1:8000/demo-crm/callback/",
        "http://localhost:8000/demo-crm/callback/",
    ]
    assert client.backchannel_logout_uri == "http://127.0.0.1:8000/demo-crm/backchannel-logout/"
    # Stored hashed, and the printed secret is the one that works.
    assert client.client_secret.startswith("sso_pbkdf2_sha256$")
    assert "demo-crm-secret-for-debug-only-never-production" in out.getvalue()


def test_a_callback_with_another_state_is_refused(demo_portal):
    browser = requests.Session()
    started = browser.get(demo_portal + "/demo-crm/sign-in/", allow_redirects=False, timeout=10)
    assert started.status_code == HTTPStatus.FOUND
    assert "code_challenge_method=S256" in started.headers["Location"]
    answer = browser.get(
        demo_portal + "/demo-crm/callback/", params={"code": "x", "state": "forged"}, timeout=10
    )
    assert answer.status_code == HTTPStatus.BAD_REQUEST
    assert "state does not match" in answer.text


def _signed(claims: dict, key: jwk.JWK | None, header: dict | None = None) -> str:
    header = header or {"typ": "logout+jwt", "alg": "RS256", "kid": key.thumbprint()}
    token = jwt.JWT(header=json.dumps(header), claims=json.dumps(claims))
    token.make_signed_token(key)
    return token.serialize()


def _open_session(sid: str, sub: str) -> str:
    key = store.session_write(key=None, data={"user": {"sub": sub, "sid": sid}})
    store.session_index(key=key, sid=sid, sub=sub)
    return key


def test_the_back_channel_logout_ends_only_the_sessions_of_a_token_that_verifies(demo_portal):
    client = Client.objects.get(client_id="demo-crm")
    sub = str(uuid.uuid4())
    mine, other = _open_session("sid-1", sub), _open_session("sid-2", sub)
    good = backchannel.logout_claims(client=client, sub=sub, sid="sid-1", jti="j-1")
    stranger = jwk.JWK.generate(kty="RSA", size=2048)
    refused = {
        "no token": "",
        "not a JWT": "not-a-jwt",
        "signed by another key": _signed(
            good, stranger, {"alg": "RS256", "kid": stranger.thumbprint()}
        ),
        "another audience": _signed(good | {"aud": "someone-else"}, client.jwk_key),
        "another issuer": _signed(good | {"iss": "https://evil.example"}, client.jwk_key),
        "with a nonce": _signed(good | {"nonce": "n"}, client.jwk_key),
        "without the event": _signed(good | {"events": {}}, client.jwk_key),
        "neither sid nor sub": _signed(
            {k: v for k, v in good.items() if k not in {"sid", "sub"}}, client.jwk_key
        ),
        "expired": _signed(
            good | {"iat": good["iat"] - 600, "exp": good["iat"] - 300}, client.jwk_key
        ),
    }
    url = demo_portal + "/demo-crm/backchannel-logout/"
    for why, token in refused.items():
        answer = requests.post(url, data={"logout_token": token}, timeout=10)
        assert answer.status_code == HTTPStatus.BAD_REQUEST, why
    assert store.session_read(key=mine) and store.session_read(key=other)

    answer = requests.post(
        url,
        data={
            "logout_token": backchannel.logout_token(client=client, sub=sub, sid="sid-1", jti="j-2")
        },
        timeout=10,
    )
    assert answer.status_code == HTTPStatus.OK
    assert answer.headers["Cache-Control"] == "no-store"
    assert store.session_read(key=mine) == {}
    assert store.session_read(key=other)
