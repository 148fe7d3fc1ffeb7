"""A sign-in page on its way to an app lets its form's redirects end at the app: browsers hold the
whole chain (login POST, /o/authorize/, the app's callback) to the page's form-action, so the
registered redirect URI's origin is added there, and only for an allowed authorization ``next``."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.sso.oidc import authorize_query, pkce, register

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def _form_action(response) -> str:
    policy = response["Content-Security-Policy"]
    return next(part for part in policy.split(";") if part.strip().startswith("form-action"))


def test_the_login_page_for_an_app_may_post_on_to_the_app(client):
    rp = register()
    _verifier, challenge = pkce()
    url = LOGIN + "?" + urlencode({"next": authorize_query(rp, challenge=challenge)})
    assert "https://crm.example.cn" in _form_action(client.get(url))
    # A wrong password answers the same page: its form still may.
    response = client.post(
        url,
        {
            "username": "nobody",
            "password": "wrong",
            "next": authorize_query(rp, challenge=challenge),
        },
    )
    assert "https://crm.example.cn" in _form_action(response)


def test_no_app_no_other_origin(client):
    assert _form_action(client.get(LOGIN)).split() == ["form-action", "'self'"]
    # An authorization request for a redirect URI nobody registered is dropped, origin and all.
    rp = register()
    _verifier, challenge = pkce()
    forged = authorize_query(rp, challenge=challenge, redirect_uri="https://evil.example.com/cb")
    url = LOGIN + "?" + urlencode({"next": forged})
    assert "evil.example.com" not in _form_action(client.get(url))


def test_the_second_step_page_on_the_way_to_an_app_may_post_on_to_it(client):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import DEFAULT_PASSWORD, UserFactory

    user = UserFactory(username="zhang.wei")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    rp = register()
    _verifier, challenge = pkce()
    next_url = authorize_query(rp, challenge=challenge)
    response = client.post(
        LOGIN + "?" + urlencode({"next": next_url}),
        {"username": "zhang.wei", "password": DEFAULT_PASSWORD, "next": next_url},
    )
    assert response.status_code == 302 and "/accounts/login/code/" in response["Location"]
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "https://crm.example.cn" in _form_action(page)
