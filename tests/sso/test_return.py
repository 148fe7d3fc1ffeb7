"""The return to the app survives the journey: the CRM sends the employee to /o/authorize/, the
sign-in locks, and after a reset (email or SMS) or an agent's unlock the browser goes back to the
authorization and lands at the CRM with a code. The ``next`` it carries is checked at every step
(a path on this site, and an authorization request only of a registered client to one of its
registered redirect URIs), so no step is an open redirect."""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
from django.core import mail
from django.test import Client

from messaging import sms
from reset.models import ResetFlow
from signin.unlock import lock_clear
from tests.factories import DEFAULT_PASSWORD
from tests.sso.oidc import REDIRECT, authorize_query, code_from, exchange, pkce, register

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
START = "/accounts/password/reset/"
VERIFY = "/accounts/password/reset/verify/"
NEW = "/accounts/password/reset/new/"
NEW_PASSWORD = "a long new passphrase for the portal"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


@pytest.fixture
def rp(db):
    return register()


@pytest.fixture
def browser():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _next_of(url: str) -> str:
    values = parse_qs(urlsplit(url).query).get("next") or [""]
    return values[0]


def _login_with(location: str, next_url: str) -> bool:
    return urlsplit(location).path == LOGIN and _next_of(location) == next_url


def _lock(browser, user, next_url: str):
    for _ in range(5):
        response = browser.post(
            LOGIN, {"username": user.username, "password": "wrong password", "next": next_url}
        )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    return response


def _links(response) -> dict[str, str]:
    context = response.context
    return {name: context[name] for name in ("reset_url", "unlock_url", "login_url", "again_url")}


def _last_code(channel: str) -> str:
    body = mail.outbox[-1].body if channel == "email" else sms.outbox[-1].body
    return CODE.search(body).group(1)


def _reset(browser, capture, user, reset_url: str, channel: str):
    """The reset pages, from the link the lock page gave; returns the final redirect."""
    page = browser.get(reset_url)
    next_url = page.context["next"]
    with capture(execute=True):
        started = browser.post(
            START, {"identifier": user.username, "channel": channel, "next": next_url}
        )
    assert started["Location"] == VERIFY
    # The return target is server-side state of the flow, not only a query string.
    assert ResetFlow.objects.get(user=user).return_to == next_url
    verify = browser.get(VERIFY)
    assert verify.context["next"] == next_url
    with capture(execute=True):
        verified = browser.post(VERIFY, {"code": _last_code(channel), "action": "verify"})
    assert verified["Location"] == NEW
    with capture(execute=True):
        return browser.post(NEW, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})


def _signed_in_at_the_client(browser, rp, login_url: str, password: str, verifier: str):
    """Sign in from ``login_url``; the browser goes back to the authorization and the client
    gets a code it can exchange."""
    page = browser.get(login_url)
    assert "Sign in to 销售易 CRM" in page.content.decode()
    signed_in = browser.post(
        LOGIN, {"username": "zhang.wei", "password": password, "next": page.context["next"]}
    )
    assert signed_in.status_code == HTTPStatus.FOUND
    assert signed_in["Location"].startswith("/o/authorize/?")
    code = code_from(browser.get(signed_in["Location"]))
    tokens = exchange(browser, rp, code, verifier)
    assert tokens.status_code == HTTPStatus.OK, tokens.content
    assert "id_token" in tokens.json()


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_after_a_reset_from_the_lock_page_the_employee_lands_in_the_crm(
    browser, rp, user, channel, django_capture_on_commit_callbacks
):
    verifier, challenge = pkce()
    authorize = authorize_query(rp, challenge=challenge)
    to_login = browser.get(authorize)
    assert _login_with(to_login["Location"], authorize)

    locked = _lock(browser, user, authorize)
    links = _links(locked)
    for name in ("reset_url", "login_url", "again_url", "unlock_url"):
        assert _next_of(links[name]) == authorize, name

    done = _reset(browser, django_capture_on_commit_callbacks, user, links["reset_url"], channel)
    assert _login_with(done["Location"], authorize)
    _signed_in_at_the_client(browser, rp, done["Location"], NEW_PASSWORD, verifier)


def test_after_an_agents_unlock_the_lock_page_leads_back_to_the_crm(browser, rp, user):
    verifier, challenge = pkce()
    authorize = authorize_query(rp, challenge=challenge)
    locked = _lock(browser, user, authorize)
    lock_clear(username=user.username, how="manual", reason="caller verified")
    again = browser.get(_links(locked)["again_url"])
    assert again.status_code == HTTPStatus.OK
    assert _next_of(again.context["login_url"]) == authorize
    assert _next_of(again.context["reset_url"]) == authorize
    _signed_in_at_the_client(browser, rp, again.context["login_url"], DEFAULT_PASSWORD, verifier)


def test_the_return_survives_a_reset_started_over(
    browser, rp, user, django_capture_on_commit_callbacks
):
    _verifier, challenge = pkce()
    authorize = authorize_query(rp, challenge=challenge)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(START, {"identifier": "nobody", "channel": "email", "next": authorize})
    verify = browser.get(VERIFY)
    again = re.search(r'href="(/accounts/password/reset/\?next=[^"]+)"', verify.content.decode())
    assert again is not None
    assert _next_of(again.group(1).replace("&amp;", "&")) == authorize


def _evil_nexts(rp) -> dict[str, str]:
    _verifier, challenge = pkce()
    registered = authorize_query(rp, challenge=challenge)
    evil_redirect = registered.replace(
        quote(REDIRECT, safe=""), quote("https://evil.example/cb", safe="")
    )
    assert evil_redirect != registered
    return {
        "foreign host": "https://evil.example/o/authorize/",
        "scheme-relative": "//evil.example/account/",
        "backslash": "/\\evil.example/",
        "javascript": "javascript:alert(1)",
        "unregistered redirect_uri": evil_redirect,
        "unregistered redirect_uri, no slash": evil_redirect.replace(
            "/o/authorize/", "/o/authorize"
        ),
        "unregistered redirect_uri, encoded path": evil_redirect.replace(
            "/o/authorize/", "/o/%61uthorize/"
        ),
        "unknown client": registered.replace(rp.client_id, "no-such-client"),
        "no redirect_uri": registered.replace("redirect_uri=", "x="),
        "two redirect_uris": registered + "&redirect_uri=" + quote("https://evil.example/cb"),
        "too long": registered + "&pad=" + "x" * 2100,
    }


@pytest.mark.parametrize(
    "case",
    [
        "foreign host",
        "scheme-relative",
        "backslash",
        "javascript",
        "unregistered redirect_uri",
        "unregistered redirect_uri, no slash",
        "unregistered redirect_uri, encoded path",
        "unknown client",
        "no redirect_uri",
        "two redirect_uris",
        "too long",
    ],
)
def test_no_step_carries_a_next_that_is_not_allowed(
    case, browser, rp, user, django_capture_on_commit_callbacks
):
    evil = _evil_nexts(rp)[case]
    page = browser.get(LOGIN + "?" + urlencode({"next": evil}))
    assert page.context["next"] == "/account/"
    locked = _lock(browser, user, evil)
    for name, url in _links(locked).items():
        assert "next=" not in url, name
    unlocked = browser.get("/accounts/locked/?" + urlencode({"ref": "LK-NONE", "next": evil}))
    assert "next=" not in unlocked.context["login_url"]
    assert browser.get(START + "?" + urlencode({"next": evil})).context["next"] == ""
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(START, {"identifier": user.username, "channel": "email", "next": evil})
    assert ResetFlow.objects.get(user=user).return_to == ""
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(VERIFY, {"code": _last_code("email"), "action": "verify"})
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(NEW, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == LOGIN
    signed_in = browser.post(
        LOGIN, {"username": user.username, "password": NEW_PASSWORD, "next": evil}
    )
    assert signed_in["Location"] == "/account/"


def test_a_next_to_another_local_page_is_still_carried(browser):
    assert browser.get(LOGIN + "?next=/account/sessions/").context["next"] == "/account/sessions/"


def test_a_client_removed_during_the_reset_is_not_returned_to(
    browser, rp, user, django_capture_on_commit_callbacks
):
    _verifier, challenge = pkce()
    authorize = authorize_query(rp, challenge=challenge)
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(START, {"identifier": user.username, "channel": "email", "next": authorize})
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(VERIFY, {"code": _last_code("email"), "action": "verify"})
    rp.client.delete()
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(NEW, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done["Location"] == LOGIN
