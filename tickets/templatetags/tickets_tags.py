"""Wording of a request's status and resolution for the employee (pages and messages)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from accounts.masking import mask_email, mask_phone
from portal.browsers import summary
from tickets.models import Channel, Resolution, TicketStatus, Tried

register = template.Library()


@register.filter
def public_status(value: str) -> str:
    return {
        TicketStatus.NEW: _("Received: waiting for an agent"),
        TicketStatus.IN_PROGRESS: _("An agent is working on it"),
        TicketStatus.WAITING: _("Waiting for your reply"),
        TicketStatus.APPROVAL: _("Waiting for a second agent's approval"),
        TicketStatus.RESOLVED: _("Resolved"),
        TicketStatus.REJECTED: _("Closed without unlocking"),
    }.get(value, value)


@register.filter
def resolution_text(value: str) -> str:
    return {
        Resolution.UNLOCKED: _("Your account was unlocked. You can sign in now."),
        Resolution.LOCK_EXPIRED: _(
            "The lock ended by itself, so you can sign in again. No one needed to act."
        ),
        Resolution.PASSWORD_RESET: _("You reset your password, which also lifted the lock."),
        Resolution.UNLOCKED_ELSEWHERE: _("The helpdesk unlocked your account."),
        Resolution.SOLVED: _("The helpdesk resolved your request."),
        Resolution.REJECTED: _("The helpdesk closed your request without unlocking the account."),
    }.get(value, "")


@register.filter
def channel_label(value: str) -> str:
    return {Channel.EMAIL: _("email"), Channel.SMS: _("text message")}.get(value, value)


@register.filter
def tried_labels(values) -> list[str]:
    labels = dict(Tried.choices)
    return [str(labels.get(v, v)) for v in values or []]


# --- Agents' ticket page ------------------------------------------------------------------------
@register.filter
def browser(ua: str) -> str:
    """The browser in the agent's language ("Windows 上的 Chrome 120"), scripts named as such."""
    return summary(ua or "")


@register.filter
def masked(value, channel: str = "email") -> str:
    if not value:
        return ""
    return mask_email(str(value)) if channel == "email" else mask_phone(value)
