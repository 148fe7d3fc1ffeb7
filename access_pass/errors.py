"""Refusals of the pass's services; ``str(error)`` is a sentence an agent can read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import PortalError


class PassError(PortalError):
    code = "access_pass"
    default_message = _("No temporary access pass can be issued now.")


class ApprovalRequired(PassError):
    code = "approval_required"
    default_message = _(
        "This account is privileged: a second agent must approve the pass before it is issued."
    )


class SameAgent(PassError):
    code = "same_agent"
    default_message = _(
        "Another agent must approve a pass you asked for; the approver may not issue it."
    )


class NoContact(PassError):
    code = "no_contact"
    default_message = _("The account has no verified contact on this channel.")


class DeliveryRefused(PassError):
    code = "undeliverable"
    default_message = _("The pass could not be sent on this channel; nothing was issued.")
