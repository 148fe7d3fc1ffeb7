"""The directory's own lock shown where a lock is shown: the lock-status API, the ticket page
and the lock page (to the owner's browser only), with when it ends."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.directory import slapd as ldap
from tests.signin.conftest import browser, post_login
from tests.tickets.conftest import admin_client_for, make_agent, new_ticket

pytestmark = pytest.mark.django_db
PASSWORD = "Directory-pass-1"
SECRET = "s3cret-for-the-crm-" + "y" * 30


@pytest.fixture
def locked_in_directory(openldap):
    """li.na signed in once (account made, this browser known), then locked in the directory
    by someone else's failures (its own threshold)."""
    dn = openldap.person_add("li.na", PASSWORD)
    owner = browser()
    assert post_login(owner, "li.na", PASSWORD).status_code == HTTPStatus.FOUND
    owner.post("/accounts/logout/")
    openldap.fail_binds(dn, ldap.MAX_FAILURE)
    return owner


def test_the_api_shows_the_directory_lock_with_its_end(openldap, locked_in_directory, settings):
    settings.LOCK_STATUS_API_SECRET = SECRET
    body = (
        Client().get("/api/lock-status", {"username": "li.na"}, HTTP_X_PORTAL_SECRET=SECRET).json()
    )
    assert body["locked"] is True and body["reference"] is None  # not the portal's lock
    assert body["directory"]["locked"] is True and body["directory"]["reachable"] is True
    assert body["directory"]["failures"] == ldap.MAX_FAILURE
    assert body["locked_until"] == body["directory"]["locked_until"] is not None
    assert body["retry_after"] > ldap.LOCKOUT_SECONDS - 120
    openldap.stop()
    body = (
        Client().get("/api/lock-status", {"username": "li.na"}, HTTP_X_PORTAL_SECRET=SECRET).json()
    )
    assert body["directory"] == {"reachable": False} and body["locked"] is False


def test_the_ticket_page_shows_the_directory_lock(openldap, locked_in_directory):
    agent = make_agent("agent.wang")
    ticket = new_ticket("li.na")
    page = admin_client_for(agent).get(
        f"/admin/tickets/ticket/{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert page.status_code == HTTPStatus.OK
    text = page.content.decode()
    assert "locked in the directory until" in text
    assert f"{ldap.MAX_FAILURE} failed sign-ins in the directory" in text


def test_the_lock_page_shows_the_directory_lock_to_the_owners_browser_only(
    openldap, locked_in_directory
):
    owner = locked_in_directory
    stranger = browser()
    for client in (owner, stranger):
        for _ in range(django_settings.LOCKOUT_FAILURE_LIMIT):
            response = post_login(client, "li.na", "not-it-at-all")
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        text = response.content.decode()
        shown = "also locked in the company directory" in text
        assert shown is (client is owner)
