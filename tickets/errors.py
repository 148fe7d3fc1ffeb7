"""Domain errors of the tickets app. Each carries a message an agent or employee can read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import PortalError


class TicketError(PortalError):
    """A ticket action that is not allowed right now. ``str(error)`` is a translated sentence."""

    code = "ticket_error"
    default_message = _("This action is not possible on this request.")


class TransitionNotAllowed(TicketError):
    default_message = _("This action is not possible in the request's current status.")


class TicketClosed(TicketError):
    default_message = _("This request is closed.")


class UnknownAccount(TicketError):
    default_message = _("No account matches this request's username.")


class VerificationRequired(TicketError):
    default_message = _(
        "Verify the caller first, or give a written reason for unlocking without verification."
    )


class SameAgent(TicketError):
    default_message = _("A different agent must approve the unlock you requested.")


class NoVerifiedContact(TicketError):
    default_message = _("The account has no verified contact on this channel.")


class CodeRejected(TicketError):
    default_message = _("The code is wrong or has expired. Ask the caller to read it again.")


class DeliveryRefused(TicketError):
    default_message = _("The message could not be queued on this channel.")
