"""Messages to the employee about their request, through the messaging outbox.

Only the account's verified contacts are ever written to (``messaging_notify_user``); the contact
typed in the form is never used as an address. Requests for unknown accounts send nothing. A
message that cannot be queued never undoes the ticket change it reports: it is logged and skipped.
"""

from __future__ import annotations

import logging

from tickets.models import Ticket

logger = logging.getLogger("tickets")

KIND_RECEIVED = "ticket_received"
KIND_UPDATE = "ticket_update"


def _send(ticket: Ticket, *, kind: str, context: dict) -> None:
    if ticket.user_id is None:
        return
    from messaging.errors import MessagingError
    from messaging.services import messaging_notify_user

    base = {
        "reference": ticket.reference,
        "status": ticket.status,
        "resolution": ticket.resolution,
        "filed_at": ticket.created_at,
    }
    try:
        messaging_notify_user(user=ticket.user, kind=kind, context={**base, **context})
    except MessagingError as exc:
        logger.warning(
            "ticket message not queued reference=%s kind=%s error=%s",
            ticket.reference,
            kind,
            exc.__class__.__name__,
        )


def received(ticket: Ticket) -> None:
    from portal.net import browser_label

    _send(
        ticket,
        kind=KIND_RECEIVED,
        context={
            "ip": ticket.ip or "",
            "browser": browser_label(ticket.user_agent),
        },
    )


def update(ticket: Ticket, *, note: str = "", event: str = "status") -> None:
    """The request's status changed or an agent shared a message (``note``)."""
    _send(ticket, kind=KIND_UPDATE, context={"note": note, "event": event})
