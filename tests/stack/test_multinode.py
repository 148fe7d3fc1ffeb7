"""Two web nodes behind nginx share one truth: the lockout counts failures wherever they land, a
lock set at one node is refused at the other, a notice posted at one shows on the other at its
next request (docs/notices.md: "every web node sees an admin's change on its next request"), and
an OpenID Connect code issued by one node is redeemed at the other."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from datetime import timedelta
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from django_otp.oath import TOTP

from tests.stack.harness import Browser, location_query, wait_for
from tests.stack.seed import PASSWORD, username

pytestmark = pytest.mark.stack

LIMIT = 5  # LOCKOUT_FAILURE_LIMIT's default, which the stack runs with
DEMO_PASSWORD = "Demo-Portal-2026!"
DEMO_CLIENT = ("demo-crm", "demo-crm-secret-for-debug-only-never-production")


def _account_lock(stack, name: str) -> list[tuple]:
    return stack.sql(
        "SELECT l.reference FROM signin_lock l JOIN accounts_user u ON l.user_id = u.id"
        " WHERE u.username = %s AND l.scope = 'account' AND l.ended_at IS NULL",
        [name],
    )


def test_failures_spread_across_both_nodes_lock_the_account_at_the_same_count(stack):
    spread, one_node = username(1), username(2)
    for name, nodes in ((spread, (1, 2)), (one_node, (1,))):
        browser = Browser(stack, ip=f"10.18.{len(nodes)}.1")
        statuses = [
            browser.sign_in(name, "wrong-password-1", via=nodes[attempt % len(nodes)]).status_code
            for attempt in range(LIMIT)
        ]
        assert statuses == [HTTPStatus.OK] * (LIMIT - 1) + [HTTPStatus.TOO_MANY_REQUESTS], name
        assert len(_account_lock(stack, name)) == 1, stack.logs()


def test_a_lock_set_through_one_node_is_refused_at_the_other(stack):
    name = username(3)
    attacker = Browser(stack, ip="10.18.3.1")
    for _ in range(LIMIT):
        attacker.sign_in(name, "wrong-password-1", via=1)
    [(reference,)] = _account_lock(stack, name)
    # The owner's right password, from another address, at node 2 and through nginx: refused.
    for via in (2, "nginx"):
        owner = Browser(stack, ip="127.0.0.3")
        refused = owner.sign_in(name, PASSWORD, via=via)
        assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS, via
        assert reference in refused.text, via
        assert "sessionid" not in owner.cookies


def test_nginx_gives_the_nodes_the_client_address_and_scheme_and_ignores_a_forged_one(stack):
    """TRUSTED_PROXY_COUNT=1 behind nginx: the address nginx saw, never what the client wrote
    into X-Forwarded-For; https from X-Forwarded-Proto (a secure session cookie)."""
    browser = Browser(stack, ip="127.0.0.9")
    signed_in = browser.sign_in(
        username(7), PASSWORD, headers={"X-Forwarded-For": "203.0.113.9", "X-Real-IP": "1.2.3.4"}
    )
    assert signed_in.status_code == HTTPStatus.FOUND
    assert "secure" in signed_in.headers["Set-Cookie"].lower()
    [(ip,)] = stack.sql(
        "SELECT host(a.ip) FROM audit_auditevent a JOIN accounts_user u ON a.user_id = u.id"
        " WHERE u.username = %s AND a.event = 'signin.succeeded'",
        [username(7)],
    )
    assert ip == "127.0.0.9"


def _admin_browser(stack, *, via) -> Browser:
    admin = Browser(stack, ip="10.18.9.1")
    admin.get("/admin/login/", via=via)
    key, step, t0, digits, drift = stack.sql(
        "SELECT d.key, d.step, d.t0, d.digits, d.drift FROM otp_totp_totpdevice d"
        " JOIN accounts_user u ON u.id = d.user_id WHERE u.username = 'admin' AND d.confirmed"
    )[0]
    code = TOTP(bytes.fromhex(key), step, t0, digits, drift).token()
    signed_in = admin.post(
        "/admin/login/",
        {
            "username": "admin",
            "password": DEMO_PASSWORD,
            "otp_token": f"{code:0{digits}d}",
            "next": "/admin/",
        },
        via=via,
    )
    assert signed_in.status_code == HTTPStatus.FOUND, signed_in.text[-2000:]
    return admin


def test_a_notice_posted_through_one_node_shows_on_the_other_at_its_next_request(stack):
    employee = Browser(stack, ip="10.18.4.1")
    title = f"Stack maintenance {secrets.token_hex(4)}"
    assert title not in employee.get("/accounts/login/", via=2).text  # node 2's cache is warm
    admin = _admin_browser(stack, via=1)
    now = timezone.localtime(timezone.now())
    start, end = now - timedelta(minutes=1), now + timedelta(hours=1)
    admin.get("/admin/notices/notice/add/", via=1)
    posted = admin.post(
        "/admin/notices/notice/add/",
        {
            "severity": "warning",
            "published": "on",
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": start.strftime("%H:%M:%S"),
            "ends_at_0": end.strftime("%Y-%m-%d"),
            "ends_at_1": end.strftime("%H:%M:%S"),
            "title_zh": title,
            "message_zh": "系统维护",
            "title_en": title,
            "message_en": "The CRM is being upgraded.",
            "_save": "Save",
        },
        via=1,
    )
    assert posted.status_code == HTTPStatus.FOUND, posted.text[-3000:]
    seen_at = time.monotonic()
    page = employee.get("/accounts/login/", via=2)
    assert title in page.text, "node 2 did not show the notice at its next request"
    print(f"\nnotice posted at node 1 → shown by node 2: {time.monotonic() - seen_at:.3f} s")


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_an_oidc_code_issued_through_one_node_is_redeemed_at_the_other(stack):
    employee = Browser(stack, ip="10.18.5.1")
    assert employee.sign_in(username(5), PASSWORD, via=1).status_code == HTTPStatus.FOUND
    verifier, challenge = _pkce()
    redirect_uri = f"{stack.base_url}/demo-crm/callback/"
    query = urlencode(
        {
            "response_type": "code",
            "client_id": DEMO_CLIENT[0],
            "redirect_uri": redirect_uri,
            "scope": "openid profile",
            "state": "s-1",
            "nonce": "n-1",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    issued = employee.get(f"/o/authorize/?{query}", via=1)
    assert issued.status_code == HTTPStatus.FOUND, issued.text[-2000:]
    code = location_query(issued)["code"]
    relying_party = Browser(stack, ip="10.18.5.2")
    token = relying_party.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        via=2,
        auth=DEMO_CLIENT,
    )
    assert token.status_code == HTTPStatus.OK, token.text
    assert {"access_token", "id_token"} <= token.json().keys()
    # Redeemed once: the same code at node 1 now is refused.
    again = relying_party.post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        via=1,
        auth=DEMO_CLIENT,
    )
    assert again.status_code == HTTPStatus.BAD_REQUEST


def test_the_demo_crm_signs_in_through_nginx_and_tls(stack):
    """The demo CRM (a relying party) calls the portal back through nginx: discovery, token,
    JWKS and userinfo over TLS, whichever node each request lands on."""
    browser = Browser(stack, ip="127.0.0.5")
    started = browser.get("/demo-crm/sign-in/")
    assert started.status_code == HTTPStatus.FOUND, stack.logs()
    authorize = started.headers["Location"].removeprefix(stack.base_url)
    login = browser.get(authorize)
    assert login.status_code == HTTPStatus.FOUND
    login_path = login.headers["Location"].removeprefix(stack.base_url)
    browser.get(login_path)
    signed_in = browser.post(login_path, {"username": username(6), "password": PASSWORD})
    assert signed_in.status_code == HTTPStatus.FOUND, signed_in.text[-2000:]
    step = signed_in
    for _ in range(4):
        step = browser.get(step.headers["Location"].removeprefix(stack.base_url))
        if step.status_code != HTTPStatus.FOUND:
            break
    assert step.status_code == HTTPStatus.OK, stack.logs()
    assert 'data-demo-crm="signed-in"' in step.text and username(6) in step.text
    # Signing out of the portal signs the demo CRM out too: the worker posts the back-channel
    # logout token to it through nginx and TLS (the stack's certificate in its CA bundle).
    assert browser.post("/accounts/logout/", {}).status_code == HTTPStatus.FOUND
    wait_for(
        lambda: 'data-demo-crm="signed-in"' not in browser.get("/demo-crm/").text,
        timeout=30,
        what="the back-channel logout" + stack.logs("worker"),
    )
