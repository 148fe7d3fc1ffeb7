"""The status link's token leaves the URL at the first visit: at most one request carries it.

``/tickets/status/<token>/`` stays the link people keep; opening it moves the token into the
browser's session and redirects to ``/tickets/status/``, which shows the request from then on.
"""

from __future__ import annotations

import re
from http import HTTPStatus

from django.test import Client

from tests.tickets.conftest import file_request
from tickets.models import Ticket
from tickets.services import token_hash

STATUS = "/tickets/status/"
PRIVATE_LINK = re.compile(
    r'value="https://portal\.example\.cn/tickets/status/([A-Za-z0-9_-]{43})/"'
)
URL_ATTRIBUTES = re.compile(r'(?:href|action|src|formaction)="([^"]*)"')


def _filed_token(client: Client) -> tuple[str, Ticket, str]:
    """File a request; return the just-filed page, the ticket and the private link's token."""
    response = file_request(client)
    page = client.get(response["Location"]).content.decode()
    token = PRIVATE_LINK.search(page).group(1)
    return page, Ticket.objects.get(), token


def _urls(page: str) -> list[str]:
    return URL_ATTRIBUTES.findall(page)


def test_filing_redirects_to_a_status_url_without_the_token(client, employee):
    response = file_request(client)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == STATUS
    page = client.get(STATUS)
    html = page.content.decode()
    ticket = Ticket.objects.get()
    assert page.status_code == HTTPStatus.OK
    assert ticket.reference in html
    # The private link is shown once, to copy; no link, form or resource on the page holds it.
    token = PRIVATE_LINK.search(html).group(1)
    assert token_hash(token) == ticket.token_hash
    assert all(token not in url for url in _urls(html))
    assert page["Referrer-Policy"] == "no-referrer"
    # Later views work without the token, and no longer show it.
    again = client.get(STATUS)
    assert again.status_code == HTTPStatus.OK
    assert ticket.reference in again.content.decode()
    assert token not in again.content.decode()


def test_the_first_visit_moves_the_token_into_the_session(client, employee):
    _page, ticket, token = _filed_token(client)
    other = Client()  # the link opened later, in another browser
    first = other.get(f"/tickets/status/{token}/")
    assert first.status_code == HTTPStatus.FOUND
    assert first["Location"] == STATUS
    assert first["Referrer-Policy"] == "no-referrer"
    assert "no-store" in first["Cache-Control"] or "max-age=0" in first["Cache-Control"]
    page = other.get(first["Location"])
    html = page.content.decode()
    assert page.status_code == HTTPStatus.OK
    assert ticket.reference in html
    assert token not in html
    # Replying from the token-free page works and never sends the token back in a Location.
    reply = other.post(STATUS, {"body": "I am at my desk until six."})
    assert reply.status_code == HTTPStatus.FOUND
    assert token not in reply["Location"]
    assert reply["Location"].startswith(STATUS)
    assert "I am at my desk until six." in other.get(STATUS).content.decode()


def test_a_reply_posted_to_the_old_url_still_lands_and_drops_the_token(client, employee):
    _page, _ticket, token = _filed_token(client)
    other = Client()
    reply = other.post(f"/tickets/status/{token}/", {"body": "Sent from an old tab."})
    assert reply.status_code == HTTPStatus.FOUND
    assert token not in reply["Location"]
    assert "Sent from an old tab." in other.get(STATUS).content.decode()


def test_without_the_link_the_status_url_opens_nothing(client, employee):
    file_request(client)
    stranger = Client()
    response = stranger.get(STATUS, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "does not open a request" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_an_invalid_link_is_not_redirected_and_sets_nothing(client, employee):
    """The same 404 as before for a link that opens nothing: no redirect that would tell a
    right token from a wrong one by its status, and nothing kept for the token-free URL."""
    _page, _ticket, token = _filed_token(client)
    other = Client()
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = other.get(f"/tickets/status/{wrong}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "does not open a request" in response.content.decode()
    assert other.get(STATUS).status_code == HTTPStatus.NOT_FOUND


def test_the_honeypot_answer_still_looks_like_a_filing(client, employee):
    response = file_request(client, website="http://spam.example")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == STATUS
    assert Ticket.objects.count() == 0
