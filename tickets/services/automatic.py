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
    resolution = HOW_TO_RESOLUTION.get(how)
    if resolution is None:
        return 0
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(c.account_q(user=user, username=username), status__in=OPEN_STATUSES)
        .order_by("id")
    )
    for ticket in tickets:
        ticket.resolution = resolution
        ticket.unlock_requested_by = None
        ticket.unlock_requested_at = None
        c.set_status(ticket, S.RESOLVED, data={"automatic": True, "how": how})
        c.record(ticket, EventKind.LOCK, data={"unlocked": how})
        notify.update(ticket, event="auto_resolved")
        c.audit("auto_resolved", ticket, data={"how": how})
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
    mine = c.account_q(user=user, username=username)
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
