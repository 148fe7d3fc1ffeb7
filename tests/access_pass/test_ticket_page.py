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


def test_admins_look_passes_up_without_ever_seeing_a_digest(verified_ticket, agent, superuser):
    from tickets.services.passes import ticket_pass_issue

    _t, issued = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="shown")
    client = admin_client_for(superuser)
    listing = client.get("/admin/access_pass/accesspass/")
    assert listing.status_code == HTTPStatus.OK and b"zhang.wei" in listing.content
    page = client.get(f"/admin/access_pass/accesspass/{issued.access_pass.pk}/change/")
    assert page.status_code == HTTPStatus.OK
    assert issued.access_pass.digest.encode() not in page.content
    assert issued.secret.encode() not in page.content
    assert client.post("/admin/access_pass/accesspass/add/", {}).status_code == HTTPStatus.FORBIDDEN


def test_helpdesk_agents_may_look_passes_up_and_change_none(verified_ticket, agent):
    client = admin_client_for(agent)
    assert client.get("/admin/access_pass/accesspass/").status_code == HTTPStatus.OK
    assert agent.has_perm("access_pass.view_accesspass")
    assert not agent.has_perm("access_pass.change_accesspass")
