"""Messages to the employee about their request, through the messaging outbox.

Only the account's verified contacts are ever written to (``messaging_notify_user``); the contact
typed in the form is never used as an address. Requests for unknown accounts send nothing, nor do
requests filed over the account's own limit (``over_account_limit``: a flood's copies). Every
message here is a courtesy notice (``messaging.kinds``): the outbox lets it fill only the
courtesy share of the SMS caps and of the account's hourly notices. The receipt goes by the
channel the employee chose in the form (email unless they asked for SMS; email when no SMS can
go). A message that cannot be queued never undoes the ticket change it reports: it is logged and
skipped.
"""

from __future__ import annotations

import logging

from messaging.errors import MessagingError
from messaging.kinds import Priority
from messaging.messengers import PERSON_CHANNELS
from messaging.services import messaging_notify_user
from portal.net import browser_label
from tickets.models import Channel, Ticket

logger = logging.getLogger("tickets")

KIND_RECEIVED = "ticket_received"
KIND_UPDATE = "ticket_update"


def _send(
    ticket: Ticket,
    *,
    kind: str,
    context: dict,
    channels: tuple[str, ...] = ("email", "sms", *PERSON_CHANNELS),
) -> int:
    """Queue ``kind`` to the account's verified contacts on ``channels``; how many were queued."""
    if ticket.user_id is None or ticket.over_account_limit:
        return 0

    base = {
        "reference": ticket.reference,
        "status": ticket.status,
        "resolution": ticket.resolution,
        "filed_at": ticket.created_at,
    }
    try:
        queued = messaging_notify_user(
            user=ticket.user,
            kind=kind,
            context={**base, **context},
            channels=channels,
            priority=Priority.COURTESY,
        )
    except MessagingError as exc:
        logger.warning(
            "ticket message not queued reference=%s kind=%s error=%s",
            ticket.reference,
            kind,
            exc.__class__.__name__,
        )
        return 0
    return len(queued)


def received(ticket: Ticket) -> None:
    context = {"ip": ticket.ip or "", "browser": browser_label(ticket.user_agent)}
    if ticket.receipt_channel == Channel.SMS and _send(
        ticket, kind=KIND_RECEIVED, context=context, channels=(Channel.SMS,)
    ):
        return
    # The default, and the way when no SMS can go (no verified phone, or the guard refused it:
    # audited by the outbox).
    _send(ticket, kind=KIND_RECEIVED, context=context, channels=(Channel.EMAIL,))


def update(ticket: Ticket, *, note: str = "", event: str = "status") -> None:
    """The request's status changed or an agent shared a message (``note``)."""
    _send(ticket, kind=KIND_UPDATE, context={"note": note, "event": event})
