"""Helpers of the single sign-on tests: a registered client, PKCE pairs, one authorization
round through the Django test client, and a browser's round over HTTP against the live server."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests
from django.test import Client as Browser

from sso.models import Client, Profile
from tests.factories import DEFAULT_PASSWORD

REDIRECT = "https://crm.example.cn/oauth/callback"
LOGOUT_REDIRECT = "https://crm.example.cn/signed-out"
SCOPE = "openid profile email phone"


@dataclass
class Registered:
    client: Client
    secret: str

    @property
    def client_id(self) -> str:
        return self.client.client_id


def register(
    *,
    name: str = "销售易 CRM",
    profile: str = Profile.STANDARD,
    trusted: bool = True,
    redirect_uris: str = REDIRECT,
    logout_uris: str = LOGOUT_REDIRECT,
) -> Registered:
    secret = secrets.token_urlsafe(32)
    client = Client(
        name=name,
        profile=profile,
        skip_authorization=trusted,
        client_type=Client.CLIENT_CONFIDENTIAL,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=logout_uris,
        client_secret=secret,
    )
    client.full_clean()
    client.save()
    return Registered(client=client, secret=secret)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize_query(rp: Registered, *, challenge: str | None, **extra) -> str:
    params = {
        "response_type": "code",
        "client_id": rp.client_id,
        "redirect_uri": REDIRECT,
        "scope": SCOPE,
        "state": "st-1",
        "nonce": "n-1",
    }
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    params |= extra
    return "/o/authorize/?" + urlencode({k: v for k, v in params.items() if v is not None})


def code_from(response) -> str:
    assert response.status_code == 302, response.content[:500]
    location = response["Location"]
    assert location.startswith(REDIRECT), location
    query = parse_qs(urlsplit(location).query)
    assert "error" not in query, query
    return query["code"][0]


def basic(rp: Registered) -> str:
    from urllib.parse import quote

    pair = f"{quote(rp.client_id, safe='')}:{quote(rp.secret, safe='')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def exchange(client, rp: Registered, code: str, verifier: str | None, *, post_secret=False):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    if verifier is not None:
        data["code_verifier"] = verifier
    headers = {}
    if post_secret:
        data |= {"client_id": rp.client_id, "client_secret": rp.secret}
    else:
        headers["HTTP_AUTHORIZATION"] = basic(rp)
    return client.post("/o/token/", data, **headers)


def browser_signs_in(
    portal: str,
    authorize_url: str,
    *,
    browser: requests.Session | None = None,
    username: str = "zhang.wei",
    client_name: str = "销售易 CRM",
) -> str:
    """An employee's browser over HTTP: authorize -> the portal's sign-in page ("Sign in to
    <client>") -> authorize again -> the client's redirect URI with its code (not followed: the
    client reads it). Returns that callback URL."""
    browser = browser or requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=10)
    assert response.status_code == HTTPStatus.FOUND
    login_url = urljoin(portal, response.headers["Location"])
    assert urlsplit(login_url).path == "/accounts/login/"
    page = browser.get(login_url, timeout=10, headers={"Accept-Language": "en"})
    assert f"Sign in to {client_name}" in page.text
    next_url = parse_qs(urlsplit(login_url).query)["next"][0]
    response = browser.post(
        urljoin(portal, "/accounts/login/"),
        data={
            "username": username,
            "password": DEFAULT_PASSWORD,
            "next": next_url,
            "csrfmiddlewaretoken": browser.cookies["csrftoken"],
        },
        headers={"Referer": login_url},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == HTTPStatus.FOUND, response.text[:300]
    assert response.headers["Location"] == next_url
    response = browser.get(urljoin(portal, next_url), allow_redirects=False, timeout=10)
    assert response.status_code == HTTPStatus.FOUND, response.text[:300]
    return response.headers["Location"]


def signed_in_browser(user) -> Browser:
    browser = Browser(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="Mozilla/5.0 Firefox/130.0")
    response = browser.post(
        "/accounts/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == HTTPStatus.FOUND, response.content[:400]
    return browser


def tokens_for(browser, rp) -> dict:
    verifier, challenge = pkce()
    code = code_from(browser.get(authorize_query(rp, challenge=challenge)))
    response = exchange(browser, rp, code, verifier)
    assert response.status_code == HTTPStatus.OK, response.content
    return response.json()


def refresh_works(browser, rp, refresh_token: str) -> bool:
    response = browser.post(
        "/o/token/",
        {"grant_type": "refresh_token", "refresh_token": refresh_token},
        HTTP_AUTHORIZATION=basic(rp),
    )
    return response.status_code == HTTPStatus.OK
