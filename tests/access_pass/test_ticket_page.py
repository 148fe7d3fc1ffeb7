"""The ticket page's pass section: the agent sees the pass once, on a page never cached, and
the request's timeline shows what happened without the pass."""

from __future__ import annotations

from http import HTTPStatus

from access_pass.models import AccessPass
from access_pass.secret import pass_matches
from tests.access_pass.conftest import pass_in
from tests.tickets.conftest import admin_client_for


def test_the_agent_sees_the_pass_once(verified_ticket, agent):
    client = admin_client_for(agent)
    page = client.get(f"/admin/tickets/ticket/{verified_ticket.pk}/change/")
    assert b"Show the pass to read out" in page.content
    response = client.post(
        f"/admin/tickets/ticket/{verified_ticket.pk}/act/pass_issue/", {"delivery": "shown"}
    )
    assert response.status_code == HTTPStatus.OK
    assert "no-store" in response["Cache-Control"]
    secret = pass_in(response.content.decode())
    assert pass_matches(secret, AccessPass.objects.get().digest)
    again = client.get(f"/admin/tickets/ticket/{verified_ticket.pk}/change/")
    assert secret not in again.content.decode()
    assert b"works until" in again.content and b"Revoke the pass" in again.content


def test_a_bad_delivery_is_a_message_not_a_500(verified_ticket, agent):
    client = admin_client_for(agent)
    response = client.post(
        f"/admin/tickets/ticket/{verified_ticket.pk}/act/pass_issue/", {"delivery": "fax"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not AccessPass.objects.exists()
