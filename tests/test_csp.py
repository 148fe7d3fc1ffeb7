"""Every page carries the Content-Security-Policy, admin included, and no page needs what it
forbids: no inline script without the request's nonce, no inline style, no event-handler
attribute. (``tests/e2e/test_csp.py`` checks the same pages in Chromium.)"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client

from tests.factories import SuperuserFactory, UserFactory, otp_force_login

pytestmark = pytest.mark.django_db

DIRECTIVES = [
    "default-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "style-src 'self'",
    "img-src 'self'",
]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)

PUBLIC = [
    "/",
    "/accounts/login/",
    "/accounts/locked/",
    "/accounts/password/reset/",
    "/accounts/password/reset/verify/",
    "/accounts/password/reset/new/",
    "/tickets/unlock/",
    "/tickets/status/no-such-token/",
    "/help/",
    "/help/faq/",
    "/api/status",
    "/api/lock-status",
    "/healthz",
    "/admin/login/",
    "/no/such/page/",
]
EMPLOYEE = ["/account/", "/account/contacts/", "/account/password/", "/account/two-step/"]
ADMIN = [
    "/admin/",
    "/admin/tickets/ticket/",
    "/admin/accounts/user/",
    "/admin/accounts/user/add/",
    "/admin/messaging/outboxmessage/",
    "/admin/signin/lock/",
    "/admin/notices/notice/add/",
    "/admin/audit/auditevent/",
]


def _policy(response) -> str:
    policy = response.get("Content-Security-Policy", "")
    for directive in DIRECTIVES:
        assert directive in policy, (response.wsgi_request.path, policy)
    return policy


def _nonce(policy: str) -> str | None:
    found = re.search(r"script-src 'self'(?: 'nonce-([^']+)')?", policy)
    assert found, policy
    return found.group(1)


def _page_is_clean(response, policy: str) -> None:
    path = response.wsgi_request.path
    if not response.get("Content-Type", "").startswith("text/html"):
        return
    html = response.content.decode()
    nonce = _nonce(policy)
    for attributes in SCRIPT_TAG.findall(html):
        if "src=" in attributes or 'type="application/json"' in attributes:
            continue
        assert nonce and f'nonce="{nonce}"' in attributes, (path, attributes)
    assert not INLINE_HANDLER.search(html), (path, INLINE_HANDLER.search(html).group(0))
    assert not STYLE_ATTRIBUTE.search(html), (path, STYLE_ATTRIBUTE.search(html).group(0))
    assert not STYLE_ELEMENT.search(html), path


def _check(client: Client, paths: list[str]) -> None:
    for path in paths:
        response = client.get(path)
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, path
        _page_is_clean(response, _policy(response))


def test_every_public_page_has_the_policy_and_needs_nothing_it_forbids():
    _check(Client(), PUBLIC)


def test_the_employees_pages_have_the_policy():
    client = Client()
    client.force_login(UserFactory())
    _check(client, EMPLOYEE)


def test_the_admins_pages_have_the_policy(django_capture_on_commit_callbacks):
    from tests.tickets.conftest import file_request

    UserFactory(username="zhang.wei")  # the receipt and its outbox row
    with django_capture_on_commit_callbacks(execute=True):
        file_request(Client())
    from messaging.models import OutboxMessage
    from tickets.models import Ticket

    client = Client()
    admin = SuperuserFactory()
    otp_force_login(client, admin)
    ticket = Ticket.objects.get()
    message = OutboxMessage.objects.get(secret=False)
    pages = [
        *ADMIN,
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        f"/admin/accounts/user/{admin.pk}/change/",
        f"/admin/messaging/outboxmessage/{message.pk}/change/",
    ]
    _check(client, pages)


def test_the_inline_script_carries_the_nonce_of_its_response():
    response = Client().get("/tickets/unlock/")
    nonce = _nonce(_policy(response))
    assert nonce and f'<script nonce="{nonce}">' in response.content.decode()
    again = _nonce(_policy(Client().get("/tickets/unlock/")))
    assert again != nonce  # a new one per response


def test_error_pages_and_refusals_have_the_policy(settings):
    client = Client(raise_request_exception=False)
    bad_charset = client.generic(
        "POST", "/accounts/login/", b"a=b", content_type="text/plain; charset=latin1"
    )
    bad_form = client.generic(
        "POST",
        "/accounts/login/",
        b"a=b",
        content_type="application/x-www-form-urlencoded; charset=latin1",
    )
    nul = client.get("/accounts/login/?next=%00")
    for response in (bad_charset, bad_form, nul):
        _page_is_clean(response, _policy(response))


def test_the_backup_codes_page_prints_without_an_inline_handler(client):
    from accounts.views.twostep import BACKUP_SESSION_KEY

    otp_force_login(client, UserFactory())
    session = client.session
    session[BACKUP_SESSION_KEY] = ["1111-2222", "3333-4444"]
    session.save()
    response = client.get("/account/two-step/backup-codes/")
    assert response.status_code == HTTPStatus.OK
    assert b"data-print" in response.content
    _page_is_clean(response, _policy(response))


def test_the_500_page_needs_no_inline_style(rf):
    from django.views.defaults import server_error

    html = server_error(rf.get("/")).content.decode()
    assert "portal/error.css" in html
    assert not STYLE_ELEMENT.search(html) and not STYLE_ATTRIBUTE.search(html)
