"""An app's authorization request survives the pass: the CRM sends the employee to
/o/authorize/, the sign-in is locked, the lock page's "I have a temporary pass" carries the
checked ``next``, and after the pass and a new password the browser goes back to the
authorization and the client gets a code. A ``next`` that is not allowed is dropped."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from access_pass.door import ENROL
from access_pass.services import pass_issue
from tests.factories import StaffFactory
from tests.sso.oidc import authorize_query, code_from, exchange, pkce, register

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "a long new passphrase for the portal"


def _next_of(url: str) -> str:
    return (parse_qs(urlsplit(url).query).get("next") or [""])[0]


def test_after_the_pass_and_a_new_password_the_employee_lands_in_the_crm(
    user, django_capture_on_commit_callbacks
):
    rp = register()
    browser = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="10.4.0.1")
    verifier, challenge = pkce()
    authorize = authorize_query(rp, challenge=challenge)
    for _ in range(5):
        locked = browser.post(
            "/accounts/login/",
            {"username": user.username, "password": "wrong password", "next": authorize},
        )
    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    pass_url = locked.context["pass_url"]
    assert _next_of(pass_url) == authorize
    page = browser.get(pass_url)
    assert page.context["next"] == authorize
    secret = pass_issue(user=user, actor=StaffFactory(username="agent.wu")).secret
    with django_capture_on_commit_callbacks(execute=True):
        signed_in = browser.post(
            pass_url, {"username": user.username, "access_pass": secret, "next": authorize}
        )
    assert signed_in["Location"] == "/accounts/pass/enrol/"
    # Held: the authorization itself waits for the new password.
    assert browser.get(authorize)["Location"] == "/accounts/pass/enrol/"
    with django_capture_on_commit_callbacks(execute=True):
        done = browser.post(
            "/accounts/pass/password/",
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert done["Location"] == authorize
    code = code_from(browser.get(done["Location"]))
    tokens = exchange(browser, rp, code, verifier)
    assert tokens.status_code == HTTPStatus.OK and "id_token" in tokens.json()


def test_a_next_that_is_not_allowed_is_dropped(user):
    browser = Client(REMOTE_ADDR="10.4.0.2")
    page = browser.get("/accounts/pass/?next=https://evil.example/x")
    assert page.context["next"] == ""
    secret = pass_issue(user=user, actor=StaffFactory(username="agent.wu")).secret
    browser.post(
        "/accounts/pass/",
        {"username": user.username, "access_pass": secret, "next": "//evil.example/x"},
    )
    assert browser.session[ENROL]["next"] == ""
