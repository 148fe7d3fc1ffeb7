"""App sign-ins for people: the security page lists the apps the employee is signed in to and
signs them out of one; the ticket page shows the account's app sign-ins (client, time, IP,
browser) and lets an agent sign it out of one app or all, audited."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import get_refresh_token_model

from audit.models import AuditEvent
from tests.factories import StaffFactory
from tests.sso.oidc import refresh_works, register, signed_in_browser, tokens_for
from tests.tickets.conftest import admin_client_for, make_agent
from tests.tickets.factories import TicketFactory
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db
RefreshToken = get_refresh_token_model()
QUEUE = "/admin/tickets/ticket/"


@pytest.fixture
def crm(db, app):
    registered = register(name="销售易 CRM")
    registered.client.backchannel_logout_uri = app.url
    registered.client.save()
    return registered


def _page_queries(browser) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/account/").status_code == HTTPStatus.OK
    return len(queries)


def test_the_security_page_lists_the_apps_and_costs_the_same_queries_for_one_or_three(user, crm):
    browser = signed_in_browser(user)
    page = browser.get("/account/").content.decode()
    assert "not signed in to any app" in page
    tokens_for(browser, crm)
    one = _page_queries(browser)
    page = browser.get("/account/").content.decode()
    assert "销售易 CRM" in page and f"/account/apps/{crm.client.pk}/sign-out/" in page
    for name in ("OA", "Wiki"):
        tokens_for(browser, register(name=name))
    tokens_for(signed_in_browser(user), crm)  # a second browser at the same app: still one row
    three = _page_queries(browser)
    assert three == one
    page = browser.get("/account/").content.decode()
    assert page.count("Sign out of this app") == 3


def test_sign_out_of_this_app_revokes_its_tokens_and_tells_it_the_others_stay(
    user, crm, app, django_capture_on_commit_callbacks
):
    oa = register(name="OA")
    browser = signed_in_browser(user)
    crm_tokens = tokens_for(browser, crm)
    oa_tokens = tokens_for(browser, oa)
    url = f"/account/apps/{crm.client.pk}/sign-out/"
    assert browser.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(url)
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/account/"
    assert len(app.received) == 1
    assert not refresh_works(browser, crm, crm_tokens["refresh_token"])
    assert refresh_works(browser, oa, oa_tokens["refresh_token"])
    page = browser.get("/account/").content.decode()
    assert f"/account/apps/{crm.client.pk}/sign-out/" not in page
    assert f"/account/apps/{oa.client.pk}/sign-out/" in page
    revoked = AuditEvent.objects.get(event="sso.token_revoked", data__reason="app_signout")
    assert revoked.user == user
    assert browser.get("/account/").status_code == HTTPStatus.OK  # the portal session stays


def test_signing_out_of_an_unknown_app_is_a_404(user):
    browser = signed_in_browser(user)
    assert browser.post("/account/apps/999999/sign-out/").status_code == HTTPStatus.NOT_FOUND


def test_the_ticket_page_shows_the_app_sign_ins_with_ip_and_browser(user, crm):
    agent = make_agent("agent.wang")
    browser = signed_in_browser(user)
    tokens_for(browser, crm)
    ticket = TicketFactory(user=user)
    page = admin_client_for(agent).get(f"{QUEUE}{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert "Sign-ins to apps through the portal" in html
    assert "销售易 CRM" in html and "127.0.0.1" in html and "Firefox" in html
    assert "/act/app_signout/" in html


def test_the_ticket_pages_queries_do_not_grow_with_the_app_sign_ins(user, crm):
    agent = make_agent("agent.wang")
    ticket = TicketFactory(user=user)
    agent_browser = admin_client_for(agent)
    browser = signed_in_browser(user)
    tokens_for(browser, crm)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            agent_browser.get(f"{QUEUE}{ticket.pk}/change/")
        return len(queries)

    count()  # the admin session's first page reads more (its permissions, the OTP device)
    first = count()
    for name in ("OA", "Wiki", "HR"):
        tokens_for(browser, register(name=name))
    assert count() == first


def test_an_agent_signs_the_employee_out_of_one_app_then_all_audited(
    user, crm, app, django_capture_on_commit_callbacks
):
    agent = make_agent("agent.wang")
    oa = register(name="OA")
    browser = signed_in_browser(user)
    crm_tokens = tokens_for(browser, crm)
    oa_tokens = tokens_for(browser, oa)
    ticket = TicketFactory(user=user)
    agent_browser = admin_client_for(agent)
    act = f"{QUEUE}{ticket.pk}/act/app_signout/"
    with django_capture_on_commit_callbacks(execute=True):
        agent_browser.post(act, {"app": crm.client.pk})
    assert len(app.received) == 1
    assert not refresh_works(browser, crm, crm_tokens["refresh_token"])
    assert refresh_works(browser, oa, oa_tokens["refresh_token"])
    audit = AuditEvent.objects.get(event="sso.agent_signout")
    assert audit.actor == agent and audit.user == user and audit.data["client"] == crm.client_id
    assert AuditEvent.objects.filter(event="ticket.app_signout", actor=agent).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        agent_browser.post(act)
    assert not RefreshToken.objects.filter(user=user, revoked__isnull=True).exists()
    assert AuditEvent.objects.filter(event="sso.agent_signout").count() == 2
    assert TicketEvent.objects.filter(ticket=ticket, data__app="*").exists()


def test_an_agent_without_the_permission_cannot_sign_anyone_out(user, crm):
    outsider = StaffFactory(username="no.perms")
    browser = signed_in_browser(user)
    tokens = tokens_for(browser, crm)
    ticket = TicketFactory(user=user)
    response = admin_client_for(outsider).post(f"{QUEUE}{ticket.pk}/act/app_signout/")
    assert response.status_code in {HTTPStatus.FORBIDDEN, HTTPStatus.FOUND}
    assert refresh_works(browser, crm, tokens["refresh_token"])
    assert not AuditEvent.objects.filter(event="sso.agent_signout").exists()


def test_an_agent_cannot_sign_their_own_account_out_from_a_ticket(crm):
    agent = make_agent("agent.wang")
    ticket = TicketFactory(user=agent)
    response = admin_client_for(agent).post(f"{QUEUE}{ticket.pk}/act/app_signout/")
    assert response.status_code == HTTPStatus.FOUND
    assert not AuditEvent.objects.filter(event="sso.agent_signout").exists()
