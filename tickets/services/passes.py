"""The temporary access pass from the ticket page (``access_pass`` holds the credential): after
the caller is verified, an agent issues a one-time pass, shown once to read out or sent to a
verified contact. A privileged account's pass needs a second agent's approval first, as an
unlock does. Each step is a line on the request's timeline and an audit row; the pass's own
audit rows are the access_pass app's. When the employee has signed in with it and set a new
password or registered a passkey, the request is resolved (``ticket_pass_completed``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from access_pass.errors import PassError
from access_pass.selectors import pass_live
from access_pass.services import (
    Issued,
    is_privileged,
    pass_approve,
    pass_decline,
    pass_issue,
    pass_request,
    pass_revoke,
)
from tickets.errors import TicketError
from tickets.models import OPEN_STATUSES, EventKind, Resolution, Ticket, TicketStatus
from tickets.services import _common as c
from tickets.services import notify
from tickets.services.access import APPROVE, UNLOCK, _account

S = TicketStatus


class PassRefused(TicketError):
    pass


def _ready(ticket: Ticket, agent: Any, perm: str = UNLOCK) -> tuple[Ticket, Any]:
    c.require_perm(agent, perm)
    ticket = c.lock_ticket(ticket)
    c.guard(ticket, "pass")
    user = _account(ticket, agent)
    return ticket, user


@transaction.atomic
def ticket_pass_issue(
    *, ticket: Ticket, agent: Any, delivery: str, request: HttpRequest | None = None
) -> tuple[Ticket, Issued | None]:
    """Issue a pass for the request's account (the caller must be verified). For a privileged
    account without an approved pass this asks for one instead (``Issued`` is None then)."""
    ticket, user = _ready(ticket, agent)
    if not ticket.is_verified:
        raise TicketError(
            _("Verify the caller first: a temporary pass goes only to a verified caller.")
        )
    try:
        if is_privileged(user) and not _approved(user):
            access_pass = pass_request(
                user=user,
                actor=agent,
                reference=ticket.reference,
                delivery=delivery,
                request=request,
            )
            c.take_up(ticket, agent)
            c.record(ticket, EventKind.PASS_REQUESTED, actor=agent, data={"delivery": delivery})
            c.audit(
                "pass_requested",
                ticket,
                actor=agent,
                request=request,
                data={"pass": access_pass.pk},
            )
            return ticket, None
        issued = pass_issue(
            user=user, actor=agent, reference=ticket.reference, delivery=delivery, request=request
        )
    except PassError as exc:
        raise PassRefused(str(exc)) from exc
    c.take_up(ticket, agent)
    data = {
        "delivery": delivery,
        "to": issued.access_pass.delivered_to,
        "expires_at": issued.access_pass.expires_at.isoformat(),
    }
    c.record(ticket, EventKind.PASS_ISSUED, actor=agent, data=data)
    c.audit(
        "pass_issued",
        ticket,
        actor=agent,
        request=request,
        data={"pass": issued.access_pass.pk, **data},
    )
    return ticket, issued


def _approved(user: Any) -> bool:
    live = pass_live(user=user)
    return live is not None and live.state == "approved"


@transaction.atomic
def ticket_pass_approve(
    *, ticket: Ticket, agent: Any, request: HttpRequest | None = None
) -> Ticket:
    """A second agent approves the pass another asked for; an agent other than the approver
    then issues it."""
    c.require_perm(agent, UNLOCK)
    ticket, user = _ready(ticket, agent, APPROVE)
    try:
        access_pass = pass_approve(user=user, actor=agent, request=request)
    except PassError as exc:
        raise PassRefused(str(exc)) from exc
    c.record(
        ticket,
        EventKind.PASS_APPROVED,
        actor=agent,
        data={"requested_by": access_pass.requested_by.get_username()},
    )
    c.audit("pass_approved", ticket, actor=agent, request=request, data={"pass": access_pass.pk})
    return ticket


@transaction.atomic
def ticket_pass_decline(
    *, ticket: Ticket, agent: Any, reason: str, request: HttpRequest | None = None
) -> Ticket:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise TicketError(_("Write why you decline (at least 5 characters)."))
    ticket, user = _ready(ticket, agent, APPROVE)
    try:
        access_pass = pass_decline(user=user, actor=agent, reason=reason, request=request)
    except PassError as exc:
        raise PassRefused(str(exc)) from exc
    c.record(ticket, EventKind.PASS_DECLINED, actor=agent, body=reason)
    c.audit("pass_declined", ticket, actor=agent, request=request, data={"pass": access_pass.pk})
    return ticket


@transaction.atomic
def ticket_pass_revoke(*, ticket: Ticket, agent: Any, request: HttpRequest | None = None) -> Ticket:
    ticket, user = _ready(ticket, agent)
    if not pass_revoke(user=user, actor=agent, request=request):
        raise TicketError(_("There is no temporary pass to revoke."))
    c.record(ticket, EventKind.PASS_REVOKED, actor=agent)
    c.audit("pass_revoked", ticket, actor=agent, request=request)
    return ticket


# --- what the employee did with it (the access_pass app's signals) ---------------------------
def _of(access_pass: Any) -> Ticket | None:
    if not access_pass.reference:
        return None
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(reference=access_pass.reference, user_id=access_pass.user_id)
        .first()
    )


@transaction.atomic
def ticket_pass_used(*, access_pass: Any) -> Ticket | None:
    ticket = _of(access_pass)
    if ticket is not None:
        c.record(ticket, EventKind.PASS_USED, public=True, data={"pass": access_pass.pk})
    return ticket


@transaction.atomic
def ticket_pass_completed(*, access_pass: Any, how: str) -> Ticket | None:
    """The employee set a new password or registered a passkey after the pass: the request is
    resolved (already closed, by the lock ending with the new password: noted only)."""
    ticket = _of(access_pass)
    if ticket is None:
        return None
    c.record(ticket, EventKind.PASS_COMPLETED, public=True, data={"how": how})
    if ticket.status in OPEN_STATUSES:
        ticket.resolution = Resolution.ACCESS_PASS
        ticket.unlock_requested_by = None
        ticket.unlock_requested_at = None
        c.set_status(ticket, S.RESOLVED, data={"automatic": True, "how": f"access_pass_{how}"})
        notify.update(ticket, event="auto_resolved")
        c.audit("auto_resolved", ticket, data={"how": f"access_pass_{how}"})
    return ticket
