"""The private status page: forged links, replies, closed requests, the honest expected wait."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from tests.tickets.conftest import at, file_request
from tickets.models import EventKind, Ticket, TicketStatus
from tickets.services import (
    ticket_ask_info,
    ticket_claim,
    ticket_message,
    ticket_reject,
    ticket_resolve,
    token_hash,
)

S = TicketStatus


@pytest.mark.parametrize(
    "token",
    [
        "A" * 43,  # the right shape, matches nothing
        "short",
        "x" * 10_000,
        "..%2F..%2Fetc%2Fpasswd",
        "%00" * 20,
    ],
)
def test_forged_or_damaged_links_get_a_clear_404(client, filed, token):
    response = client.get(f"/tickets/status/{token}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert "does not open a request" in response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"


def test_guessing_links_is_rate_limited(client, db, settings):
    settings.TICKETS_RATE_STATUS_MISS = "3/h"
    for _ in range(3):
        assert client.get(f"/tickets/status/{'B' * 43}/").status_code == HTTPStatus.NOT_FOUND
    response = client.get(f"/tickets/status/{'C' * 43}/")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert int(response["Retry-After"]) > 0


def test_status_page_shows_only_shared_messages(client, filed, agent):
    ticket, url = filed
    ticket_claim(ticket=ticket, agent=agent)
    ticket_message(ticket=ticket, agent=agent, body="INTERNAL: check HR record", public=False)
    ticket_message(ticket=ticket, agent=agent, body="We will call you shortly.", public=True)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We will call you shortly." in page
    assert "INTERNAL" not in page
    assert agent.username not in page  # agents are "the helpdesk" to the employee
    assert "An agent is working on it" in page


def test_the_employee_can_reply_and_a_waiting_request_goes_back_to_the_queue(client, filed, agent):
    ticket, url = filed
    ticket_ask_info(ticket=ticket, agent=agent, message="Which browser?")
    response = client.post(url, {"body": "Firefox 120 on my laptop"})
    assert response.status_code == HTTPStatus.FOUND
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS
    reply = ticket.events.get(kind=EventKind.REPLY)
    assert reply.body == "Firefox 120 on my laptop" and reply.public
    page = client.get(url).content.decode()
    assert "Firefox 120 on my laptop" in page


@pytest.mark.parametrize("close", ["resolve", "reject"])
def test_closed_requests_refuse_replies_clearly(client, filed, agent, close):
    ticket, url = filed
    if close == "resolve":
        ticket_resolve(ticket=ticket, agent=agent)
    else:
        ticket_reject(ticket=ticket, agent=agent, reason="Not a lock problem.")
    response = client.post(url, {"body": "still stuck"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.CONFLICT
    assert "closed" in response.content.decode()
    assert not ticket.events.filter(kind=EventKind.REPLY).exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "This field is required"), ("z" * 10_000, "under 2000"), ("a\x00b", "Null")],
)
def test_bad_replies_get_form_errors(client, filed, body, message):
    ticket, url = filed
    response = client.post(url, {"body": body}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert not ticket.events.filter(kind=EventKind.REPLY).exists()


def test_replies_are_rate_limited_per_request(client, filed, settings):
    settings.TICKETS_RATE_REPLY = "2/h"
    ticket, url = filed
    assert client.post(url, {"body": "one"}).status_code == HTTPStatus.FOUND
    assert client.post(url, {"body": "two"}).status_code == HTTPStatus.FOUND
    assert client.post(url, {"body": "three"}).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert ticket.events.filter(kind=EventKind.REPLY).count() == 2


def test_expected_wait_during_business_hours(clock, client, employee):
    url = file_request(client)["Location"]  # Tuesday 09:00
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "should pick up your request by" in page
    assert "09:30" in page
    assert "closed right now" not in page


def test_expected_wait_outside_business_hours_says_when_agents_are_back(clock, client, employee):
    clock.set(at(20, 0, day=27))  # Friday evening
    url = file_request(client)["Location"]
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    ticket = Ticket.objects.get()
    assert ticket.first_response_due == at(9, 30, day=30)  # Monday 09:30
    assert "closed right now" in page
    assert "2026-11-30 09:00" in page


def test_a_late_request_says_so_honestly(clock, client, employee):
    url = file_request(client)["Location"]
    clock.advance(hours=1)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "later than we aim to be" in page


def test_status_page_in_chinese(client, filed):
    ticket, url = filed
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ticket.reference in page
    assert "已收到" in page


def test_a_non_utf8_reply_is_refused(client, filed):
    ticket, url = filed
    response = client.post(
        url,
        b"body=%FF%FEabc",
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "encoding we cannot read" in response.content.decode()
    assert not ticket.events.filter(kind=EventKind.REPLY).exists()


def test_a_refused_reply_does_not_write_the_private_link_to_the_log(
    client, employee, agent, settings, caplog
):
    """Django logs every 4xx with its path; on a real status page the path is the secret."""
    import re

    from django.test import Client

    settings.TICKETS_RATE_REPLY = "1/h"
    first = Client()
    page = first.get(file_request(first)["Location"]).content.decode()
    token = re.search(r"/tickets/status/([A-Za-z0-9_-]{43})/", page).group(1)
    ticket = Ticket.objects.get(token_hash=token_hash(token))
    url = f"/tickets/status/{token}/"  # posted to from a page opened before the redirect
    with caplog.at_level("DEBUG"):
        assert client.post(url, {"body": ""}).status_code == HTTPStatus.BAD_REQUEST
        assert client.post(url, {"body": "one"}).status_code == HTTPStatus.FOUND
        assert client.post(url, {"body": "two"}).status_code == HTTPStatus.TOO_MANY_REQUESTS
        ticket_resolve(ticket=ticket, agent=agent)
        assert client.post(url, {"body": "three"}).status_code == HTTPStatus.CONFLICT
    assert caplog.records, "the refusals are still logged"
    assert all(token not in record.getMessage() for record in caplog.records)
