"""Lock-aware tickets: the sign-in app's lock signals resolve and reopen requests.

- The lock ends by itself (``expired``), the employee resets the password (``reset``) or an agent
  unlocks from the locked accounts list (``manual``): every open request of the account is
  resolved with a note and the employee is told.
- The account locks again within ``TICKETS_REOPEN_WINDOW_HOURS`` (24) of such an automatic
  resolution: that request opens again (unless another one is already open), and the employee is
  told.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tickets import conf
from tickets.models import AUTO_RESOLUTIONS, OPEN_STATUSES, EventKind, Resolution, Ticket
from tickets.models import TicketStatus as S
from tickets.selectors import account_q, tickets_with_lock_ended
from tickets.services import _common as c
from tickets.services import notify

HOW_TO_RESOLUTION = {
    "expired": Resolution.LOCK_EXPIRED,
    "reset": Resolution.PASSWORD_RESET,
    "manual": Resolution.UNLOCKED_ELSEWHERE,
}


@transaction.atomic
def tickets_auto_resolve(*, username: str, user: Any = None, how: str) -> int:
    """Resolve the account's open requests because its lock ended (``how``). Returns how many."""
    if how not in HOW_TO_RESOLUTION:
        return 0
    tickets = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(account_q(user=user, username=username), status__in=OPEN_STATUSES)
        .order_by("id")
    )
    return _resolve(list(tickets), how=how)


def tickets_reconcile_locks(*, now: datetime | None = None, batch: int = 200) -> int:
    """The periodic safety net for a lost ``account_unlocked`` signal (a worker that died between
    the sign-in app's commit and our receiver): an open request whose account's lock was
    recorded as ended after the request was filed, with no lock in force now, is resolved as the
    signal would have. Idempotent. Returns how many were resolved."""
    done = 0
    for ticket_id, how in list(tickets_with_lock_ended(now=now)[:batch]):
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("user")
                .filter(pk=ticket_id, status__in=OPEN_STATUSES)
                .first()
            )
            done += _resolve([ticket] if ticket else [], how=how, data={"reconciled": True})
    return done


def _resolve(tickets: list[Ticket], *, how: str, data: dict | None = None) -> int:
    resolution = HOW_TO_RESOLUTION.get(how)
    if resolution is None:
        return 0
    for ticket in tickets:
        ticket.resolution = resolution
        ticket.unlock_requested_by = None
        ticket.unlock_requested_at = None
        c.set_status(ticket, S.RESOLVED, data={"automatic": True, "how": how, **(data or {})})
        c.record(ticket, EventKind.LOCK, data={"unlocked": how})
        notify.update(ticket, event="auto_resolved")
        c.audit("auto_resolved", ticket, data={"how": how, **(data or {})})
    return len(tickets)


@transaction.atomic
def tickets_relock(
    *,
    username: str,
    user: Any = None,
    reference: str | None = None,
    locked_until: datetime | None = None,
) -> Ticket | None:
    """The account locked (again). Open requests note it; a request resolved automatically in
    the last ``TICKETS_REOPEN_WINDOW_HOURS`` reopens if none is open. Returns the reopened one."""
    data = {"locked": True, "reference": reference or ""}
    if locked_until is not None:
        data["locked_until"] = locked_until.isoformat()
    mine = account_q(user=user, username=username)
    open_ones = list(
        Ticket.objects.select_for_update(of=("self",)).filter(mine, status__in=OPEN_STATUSES)
    )
    for ticket in open_ones:
        c.record(ticket, EventKind.LOCK, data=data)
    if open_ones:
        return None
    since = timezone.now() - timedelta(hours=conf.get("TICKETS_REOPEN_WINDOW_HOURS"))
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(
            mine,
            status=S.RESOLVED,
            resolution__in=AUTO_RESOLUTIONS,
            resolved_at__gte=since,
        )
        .order_by("-resolved_at", "-id")
        .first()
    )
    if ticket is None:
        return None
    c.record(ticket, EventKind.LOCK, data=data)
    back = S.IN_PROGRESS if ticket.assignee_id else S.NEW
    c.set_status(ticket, back, data={"automatic": True, "reason": "relocked"})
    notify.update(ticket, event="reopened")
    c.audit("reopened", ticket, data={"automatic": True, "lock_reference": reference or ""})
    return ticket
