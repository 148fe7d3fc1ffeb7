"""The agent signs the employee out of one app or of every app they signed in to through the
portal (the ticket page's "Sign out of apps"): their tokens there are revoked and each app is
sent a back-channel logout (the single sign-on app's ``app_signout``, audited
``sso.agent_signout``); the request's timeline and the audit trail say who did it."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from sso.models import Client
from sso.services import app_signout
from tickets.errors import TicketError, UnknownAccount
from tickets.models import EventKind, Ticket
from tickets.services import _common as c

CHANGE = "tickets.change_ticket"


@transaction.atomic
def ticket_app_signout(
    *, ticket: Ticket, agent: Any, client_pk: int | None = None, request: HttpRequest | None = None
) -> Ticket:
    """Sign the request's account out of the app ``client_pk`` (or of all, when None)."""
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    if ticket.user is None:
        raise UnknownAccount()
    if ticket.user_id == agent.pk:
        raise TicketError(_("Agents cannot act on their own account: ask a colleague."))
    client = None
    if client_pk is not None:
        client = Client.objects.filter(pk=client_pk).first()
        if client is None:
            raise TicketError(_("This app is not registered."))
    ended = app_signout(user=ticket.user, client=client, request=request, actor=agent)
    data = {"app": str(client) if client else "*", "signins_ended": ended}
    c.record(ticket, EventKind.NOTE, actor=agent, body=_("Signed out of apps."), data=data)
    c.audit("app_signout", ticket, actor=agent, request=request, data=data)
    return ticket
