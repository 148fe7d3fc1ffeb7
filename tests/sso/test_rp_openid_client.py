"""A real, independent relying party against the portal: openid-client v6 (tests/sso/rp/rp.mjs,
run by the machine's Node.js) does discovery, the authorization code flow with PKCE, the ID
token's validation against the JWKS (signature, iss, aud, nonce, exp), userinfo, refresh,
revocation and RP-initiated logout. The browser between them is this test: plain HTTP
(``requests``) against the live server, through the portal's real sign-in page."""

from __future__ import annotations

import json
import os
import subprocess
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from sso.models import Subject
from tests.factories import UserFactory
from tests.sso.oidc import LOGOUT_REDIRECT, REDIRECT, browser_signs_in, register

RP = Path(__file__).resolve().parent / "rp"

pytestmark = [pytest.mark.node, pytest.mark.django_db(transaction=True)]


class RelyingParty:
    def __init__(self, config: dict):
        self.proc = subprocess.Popen(
            ["node", str(RP / "rp.mjs")],
            cwd=RP,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RP_CONFIG": json.dumps(config)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(timeout=10)
            raise AssertionError("the relying party stopped: " + self.proc.stderr.read())
        message = json.loads(line)
        assert message["step"] != "error", message
        return message

    def send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.mark.parametrize("auth_method", ["client_secret_basic", "client_secret_post"])
def test_openid_client_signs_in_through_the_portal_end_to_end(portal, auth_method):
    user = UserFactory(username="zhang.wei", first_name="伟", last_name="张")
    rp = register()
    relying_party = RelyingParty(
        {
            "issuer": portal,
            "client_id": rp.client_id,
            "client_secret": rp.secret,
            "auth_method": auth_method,
            "redirect_uri": REDIRECT,
            "post_logout_redirect_uri": LOGOUT_REDIRECT,
        }
    )
    try:
        authorize = relying_party.read()
        browser = requests.Session()
        callback = browser_signs_in(portal, authorize["url"], browser=browser)
        assert callback.startswith(REDIRECT + "?")
        relying_party.send({"callback": callback})
        done = relying_party.read()
    finally:
        relying_party.close()

    assert done["issuer"] == portal
    assert done["id_token_alg"] == "RS256" and done["id_token_kid"]
    claims = done["claims"]
    assert claims["sub"] == str(Subject.objects.get(user=user).subject)
    assert claims["aud"] == rp.client_id and claims["iss"] == portal
    assert claims["name"] == "张伟" and claims["email"] == user.email
    assert done["userinfo"]["sub"] == claims["sub"]
    assert done["userinfo"]["phone_number"] == user.phone.as_e164
    assert done["refreshed_sub"] == claims["sub"] and done["rotated"] is True
    assert done["revoked_refused"] is True
    assert done["reuse_refused"] is True

    # RP-initiated logout: back to the registered URI with the state, the portal session over.
    response = browser.get(done["logout_url"], allow_redirects=False, timeout=10)
    assert response.status_code == HTTPStatus.FOUND
    assert response.headers["Location"] == f"{LOGOUT_REDIRECT}?state={done['logout_state']}"
    account = browser.get(urljoin(portal, "/account/"), allow_redirects=False, timeout=10)
    assert account.status_code == HTTPStatus.FOUND
    assert urlsplit(account.headers["Location"]).path == "/accounts/login/"


def test_the_discovery_document_is_what_openid_client_reads(portal):
    data = requests.get(portal + "/.well-known/openid-configuration", timeout=10).json()
    assert data["issuer"] == portal
    assert data["jwks_uri"] == portal + "/o/.well-known/jwks.json"
    keys = requests.get(data["jwks_uri"], timeout=10).json()["keys"]
    assert [key["alg"] for key in keys] == ["RS256"] * len(keys)
    assert all("d" not in key for key in keys)  # public halves only
