"""The 销售易 CRM connector's three requests, replayed exactly as its 认证连接器 (type OAuth2.0)
form sends them, over HTTP against the live server: the authorize GET (``response_type=code``,
``scope=openid profile email phone``, no PKCE), the token POST with ``client_secret`` in the
form body (no Authorization header), and the userinfo GET with the access token in the query
string (allowed only for this profile). Users are matched on ``email``. The admin shows the
exact values to paste into that form."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from sso.models import Profile
from tests.factories import UserFactory, otp_force_login
from tests.sso.oidc import REDIRECT, browser_signs_in, register

pytestmark = pytest.mark.django_db(transaction=True)


def connector_authorize_url(portal: str, crm, *, state: str) -> str:
    """The connector's authorize GET: response_type=code, the four scopes, a state; no PKCE, no
    nonce."""
    query = {
        "response_type": "code",
        "client_id": crm.client_id,
        "redirect_uri": REDIRECT,
        "scope": "openid profile email phone",
        "state": state,
    }
    return portal + "/o/authorize/?" + urlencode(query)


def test_the_connectors_three_requests_exactly_as_its_form_sends_them(portal):
    user = UserFactory(username="zhang.wei", email="zhang.wei@example.cn", employee_id="E1001")
    crm = register(profile=Profile.XIAOSHOUYI)
    # 1. Authorize: GET, response_type=code, the four scopes, a state; no PKCE, no nonce.
    authorize = connector_authorize_url(portal, crm, state="xsy-state-1")
    callback = browser_signs_in(portal, authorize)
    assert callback.startswith(REDIRECT + "?")
    query = parse_qs(urlsplit(callback).query)
    assert query["state"] == ["xsy-state-1"]
    # 2. Token: POST, form-encoded, client_id and client_secret in the body, no header.
    token = requests.post(
        portal + "/o/token/",
        data={
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": REDIRECT,
            "client_id": crm.client_id,
            "client_secret": crm.secret,
        },
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert token.status_code == HTTPStatus.OK, token.text
    tokens = token.json()
    assert tokens["token_type"] == "Bearer"
    assert set(tokens["scope"].split()) == {"openid", "profile", "email", "phone"}
    # 3. Userinfo: GET with the access token in the query string (this profile only).
    userinfo = requests.get(
        portal + "/o/userinfo/", params={"access_token": tokens["access_token"]}, timeout=10
    )
    assert userinfo.status_code == HTTPStatus.OK, userinfo.text
    claims = userinfo.json()
    assert claims["email"] == user.email and claims["email_verified"] is True
    assert claims["preferred_username"] == "zhang.wei"
    assert claims["phone_number"].startswith("+86")
    # The same token in the header works too; a standard client's in the query string does not.
    header = requests.get(
        portal + "/o/userinfo/",
        headers={"Authorization": "Bearer " + tokens["access_token"]},
        timeout=10,
    )
    assert header.json()["sub"] == claims["sub"]


def test_the_connector_without_a_secret_or_with_a_wrong_one_gets_no_token(portal):
    UserFactory(username="zhang.wei")
    crm = register(profile=Profile.XIAOSHOUYI)
    authorize = connector_authorize_url(portal, crm, state="s")
    code = parse_qs(urlsplit(browser_signs_in(portal, authorize)).query)["code"][0]
    body = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": crm.client_id,
    }
    for secret in ("", "wrong-" + "x" * 40):
        refused = requests.post(
            portal + "/o/token/", data=body | {"client_secret": secret}, timeout=10
        )
        assert refused.status_code == HTTPStatus.UNAUTHORIZED
        assert refused.json()["error"] == "invalid_client"


def test_the_admin_shows_the_values_to_paste_into_the_connector_form(client, superuser, settings):
    crm = register(profile=Profile.XIAOSHOUYI)
    otp_force_login(client, superuser)
    page = client.get(f"/admin/sso/client/{crm.client.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    text = page.content.decode()
    issuer = settings.OAUTH2_PROVIDER["OIDC_ISS_ENDPOINT"]
    for value in (
        issuer + "/o/authorize/",
        issuer + "/o/token/",
        issuer + "/o/userinfo/",
        crm.client_id,
        "openid profile email phone",
        "client_secret_post",
        "email",
        REDIRECT,
    ):
        assert value in text, value
    assert crm.secret not in text
    assert "销售易" in text
