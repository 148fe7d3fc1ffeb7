"""Agent transitions that touch the account: verify the caller, unlock (with dual control for
privileged accounts), send a password reset link. Agents never see or set a password."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.codes import code_issue, code_verify
from reset.errors import ResetInviteRefused
from reset.services import reset_invite_send
from signin.unlock import lock_clear
from tickets import conf
from tickets.errors import (
    CodeRejected,
    DeliveryRefused,
    NoVerifiedContact,
    SameAgent,
    TicketError,
    UnknownAccount,
    VerificationRequired,
)
from tickets.models import Channel, EventKind, Resolution, Ticket, TicketStatus
from tickets.services import _common as c
from tickets.services import notify

S = TicketStatus
CHANGE = "tickets.change_ticket"
UNLOCK = "tickets.unlock_account"
APPROVE = "tickets.approve_unlock"


def _account(ticket: Ticket, agent: Any):
    if ticket.user is None:
        raise UnknownAccount()
    if ticket.user_id == agent.pk:
        raise TicketError(_("Agents cannot act on their own account: ask a colleague."))
    return ticket.user


def _contact_for(user: Any, channel: str) -> None:
    verified = {
        Channel.EMAIL: user.has_verified_email,
        Channel.SMS: user.has_verified_phone,
    }.get(channel)
    if not verified:
        raise NoVerifiedContact()


# --- Verify the caller ------------------------------------------------------------------------
@transaction.atomic
def ticket_verify_send(
    *, ticket: Ticket, agent: Any, channel: str, request: HttpRequest | None = None
) -> Ticket:
    """Send a one-time code to the account's verified ``channel``; the caller reads it back."""
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "verify")
    user = _account(ticket, agent)
    if ticket.is_verified:
        raise TicketError(_("The caller is already verified on this request."))
    _contact_for(user, channel)
    issue = code_issue(
        user=user, channel=channel, purpose="caller_verify", request=request, actor=agent
    )
    if not issue.sent:  # caps, cooldown, blocked SMS: the codes module says why (and audits)
        raise DeliveryRefused(issue.message or None)
    c.take_up(ticket, agent)
    data = {"channel": channel, "to": issue.destination}
    if issue.expires_at:
        data["expires_at"] = issue.expires_at.isoformat()
    c.record(ticket, EventKind.VERIFY_SENT, actor=agent, data=data)
    c.audit("verify_code_sent", ticket, actor=agent, request=request, data=data)
    return ticket


def ticket_verify_check(
    *, ticket: Ticket, agent: Any, code: str, request: HttpRequest | None = None
) -> Ticket:
    """Check the code the caller read back. Right: the request is stamped verified (who, when,
    which channel). Wrong: recorded and ``CodeRejected`` raised (attempts are capped by the codes
    module, which also kills the code after too many)."""
    ticket, ok = _verify_check(ticket=ticket, agent=agent, code=code, request=request)
    if not ok:
        raise CodeRejected()
    return ticket


@transaction.atomic
def _verify_check(*, ticket: Ticket, agent: Any, code: str, request) -> tuple[Ticket, bool]:
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "verify")
    user = _account(ticket, agent)
    if ticket.is_verified:
        raise TicketError(_("The caller is already verified on this request."))
    sent = ticket.events.filter(kind=EventKind.VERIFY_SENT).order_by("-created_at", "-id").first()
    if sent is None:
        raise TicketError(_("Send a verification code first."))
    ok = code_verify(user=user, purpose="caller_verify", code=code, request=request, actor=agent)
    channel = sent.data.get("channel", "")
    if not ok:
        c.record(ticket, EventKind.VERIFY_FAILED, actor=agent, data={"channel": channel})
        c.audit("verify_failed", ticket, actor=agent, request=request, data={"channel": channel})
        return ticket, False
    now = timezone.now()
    ticket.verified_by = agent
    ticket.verified_at = now
    ticket.verified_how = channel
    ticket.updated_at = now
    ticket.save()
    c.record(ticket, EventKind.VERIFIED, actor=agent, data={"channel": channel})
    c.audit("caller_verified", ticket, actor=agent, request=request, data={"channel": channel})
    return ticket, True


# --- Unlock -----------------------------------------------------------------------------------
@transaction.atomic
def ticket_unlock(
    *, ticket: Ticket, agent: Any, reason: str = "", request: HttpRequest | None = None
) -> Ticket:
    """Unlock the account and resolve the request. Needs a verified caller or a written reason
    (audited). For a privileged account (staff, superuser) this only asks for a second agent's
    approval: the request waits in ``approval`` until ``ticket_unlock_approve``."""
    c.require_perm(agent, UNLOCK)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "unlock")
    user = _account(ticket, agent)
    reason = (reason or "").strip()
    if not ticket.is_verified and len(reason) < conf.get("TICKETS_UNLOCK_REASON_MIN_LENGTH"):
        raise VerificationRequired()
    if not ticket.is_verified:
        ticket.unlock_reason = reason
    if ticket.is_privileged:
        now = timezone.now()
        ticket.unlock_requested_by = agent
        ticket.unlock_requested_at = now
        if ticket.assignee_id is None:
            ticket.assignee = agent
        c.first_response(ticket)
        c.record(
            ticket,
            EventKind.UNLOCK_REQUESTED,
            actor=agent,
            body=reason,
            data={"verified": ticket.is_verified},
        )
        c.set_status(ticket, S.APPROVAL, actor=agent)
        notify.update(ticket)
        c.audit(
            "unlock_requested",
            ticket,
            actor=agent,
            request=request,
            data={"verified": ticket.is_verified, "reason": reason[:500]},
        )
        return ticket
    return _unlock(ticket=ticket, user=user, agent=agent, approver=None, request=request)


@transaction.atomic
def ticket_unlock_approve(
    *, ticket: Ticket, agent: Any, request: HttpRequest | None = None
) -> Ticket:
    """The second agent approves a privileged account's unlock, which then happens."""
    c.require_perm(agent, APPROVE)
    c.require_perm(agent, UNLOCK)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "approve")
    user = _account(ticket, agent)
    if ticket.unlock_requested_by_id in (None, agent.pk):
        raise SameAgent()
    return _unlock(
        ticket=ticket, user=user, agent=ticket.unlock_requested_by, approver=agent, request=request
    )


@transaction.atomic
def ticket_unlock_decline(*, ticket: Ticket, agent: Any, reason: str) -> Ticket:
    """The second agent refuses the unlock; the request goes back to work (not closed)."""
    c.require_perm(agent, APPROVE)
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise TicketError(_("Write why you decline (at least 5 characters)."))
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "decline")
    if ticket.unlock_requested_by_id == agent.pk:
        raise SameAgent()
    requested_by = ticket.unlock_requested_by
    ticket.unlock_requested_by = None
    ticket.unlock_requested_at = None
    c.record(ticket, EventKind.NOTE, actor=agent, body=reason, data={"declined_unlock": True})
    c.set_status(ticket, S.IN_PROGRESS, actor=agent)
    c.audit(
        "unlock_declined",
        ticket,
        actor=agent,
        data={"requested_by": requested_by.username if requested_by else "", "reason": reason},
    )
    return ticket


def _unlock(*, ticket: Ticket, user: Any, agent: Any, approver: Any, request) -> Ticket:
    now = timezone.now()
    if approver is not None:
        ticket.unlock_approved_by = approver
        ticket.unlock_approved_at = now
    if ticket.assignee_id is None:
        ticket.assignee = agent
    c.first_response(ticket)
    ticket.resolution = Resolution.UNLOCKED
    ticket.unlock_requested_by = ticket.unlock_requested_by or None
    # Close first: the unlock signal then finds only the account's other open requests.
    c.set_status(ticket, S.RESOLVED, actor=approver or agent)
    was_locked = lock_clear(
        username=user.username, how="manual", actor=approver or agent, request=request
    )
    c.record(
        ticket,
        EventKind.UNLOCKED,
        actor=approver or agent,
        public=True,
        data={"was_locked": bool(was_locked)},
    )
    notify.update(ticket, event="unlocked")
    c.audit(
        "unlocked",
        ticket,
        actor=approver or agent,
        request=request,
        data={
            "verified": ticket.is_verified,
            "verified_how": ticket.verified_how or "none",
            "reason": (ticket.unlock_reason or "")[:500],
            "was_locked": bool(was_locked),
            "requested_by": agent.username,
            "approved_by": approver.username if approver else "",
        },
    )
    return ticket


# --- Password reset ---------------------------------------------------------------------------
@transaction.atomic
def ticket_reset_send(
    *, ticket: Ticket, agent: Any, channel: str, request: HttpRequest | None = None
) -> Ticket:
    """Send the employee a one-time password reset link on a verified contact (the reset
    app's ``reset_invite_send``). The agent never sees it, nor any password."""
    c.require_perm(agent, CHANGE)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "reset")
    user = _account(ticket, agent)
    _contact_for(user, channel)
    try:
        sent = reset_invite_send(user=user, channel=channel, actor=agent, request=request)
    except ResetInviteRefused as exc:  # caps, region, no contact: the reset app says why
        raise DeliveryRefused(str(exc)) from exc
    c.take_up(ticket, agent)
    data = {"channel": channel, "to": sent.get("destination", "")}
    c.record(ticket, EventKind.RESET_SENT, actor=agent, public=True, data=data)
    c.audit("reset_link_sent", ticket, actor=agent, request=request, data=data)
    return ticket
