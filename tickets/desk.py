"""The agents' desk: the admin's home page counts the day's work, each number a link to the list
that shows exactly those rows.

Every figure is a queryset of the app that owns the rows, built from the same selector ``Q`` as
the list filter its link sets (``tickets.admin_queue``, ``signin.admin``, ``messaging.admin``,
``notices.admin``, ``audit.admin``), so the number and the list agree by construction. The desk
sits in the tickets app, the top layer of the helpdesk: it reads tickets, sign-in, the outbox,
notices and the audit trail, all below it, and it is the agents' page as the queue is.

All the numbers come in one statement: each count is a scalar subquery on the agent's own user
row, so the desk costs one query whatever the size of the tables. Sections the agent has no
permission to view are neither counted nor shown.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Func, IntegerField, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from messaging.selectors import outbox_failed_since_q, outbox_retrying_q, outbox_trouble
from notices.selectors import notices_in_force
from portal.admin_mixins import recent_since
from signin.selectors import (
    lock_storms_since,
    locks_active,
    locks_of_accounts_q,
    locks_started_since,
)
from tickets import selectors

Count = Callable[[Any, datetime], QuerySet]


@dataclass(frozen=True)
class _Spec:
    key: str
    label: Any
    perm: str
    rows: Count
    url: str  # admin URL name
    query: str = ""
    alert: bool = False  # a number above zero needs someone now


def _open(q):
    return lambda user, now: selectors.tickets_where(q=selectors.open_q() & q(user, now))


SPECS: list[tuple[str, Any, list[_Spec]]] = [
    (
        "requests",
        _("Unlock requests"),
        [
            _Spec(
                "open",
                _("open"),
                "tickets.view_ticket",
                lambda user, now: selectors.tickets_where(q=selectors.open_q()),
                "admin:tickets_ticket_changelist",
            ),
            _Spec(
                "waiting",
                _("waiting for an agent"),
                "tickets.view_ticket",
                lambda user, now: selectors.tickets_where(q=selectors.waiting_for_agent_q()),
                "admin:tickets_ticket_changelist",
                "status=new",
            ),
            _Spec(
                "approval",
                _("waiting for a second agent's approval"),
                "tickets.view_ticket",
                lambda user, now: selectors.tickets_where(q=selectors.awaiting_approval_q()),
                "admin:tickets_ticket_changelist",
                "status=approval",
            ),
            _Spec(
                "breaching",
                _("breaching the SLA"),
                "tickets.view_ticket",
                _open(lambda user, now: selectors.sla_breached_q(now)),
                "admin:tickets_ticket_changelist",
                "sla=breached",
                alert=True,
            ),
            _Spec(
                "mine",
                _("assigned to me"),
                "tickets.view_ticket",
                _open(lambda user, now: selectors.assigned_to_q(user=user)),
                "admin:tickets_ticket_changelist",
                "assignee=me",
            ),
        ],
    ),
    (
        "locks",
        _("Sign-in locks"),
        [
            _Spec(
                "locked_now",
                _("accounts locked now"),
                "signin.view_lock",
                lambda user, now: locks_active(now=now).filter(locks_of_accounts_q()),
                "admin:signin_lock_changelist",
                "scope=accounts",
            ),
            _Spec(
                "locked_hour",
                _("accounts locked in the last hour"),
                "signin.view_lock",
                lambda user, now: locks_started_since(since=recent_since("1h", now=now)).filter(
                    locks_of_accounts_q()
                ),
                "admin:signin_lock_changelist",
                "status=all&scope=accounts&since=1h",
            ),
            _Spec(
                "storms",
                _("lock storms in the last 24 hours"),
                "audit.view_auditevent",
                lambda user, now: lock_storms_since(since=recent_since("24h", now=now)),
                "admin:audit_auditevent_changelist",
                "event__exact=signin.lock_storm&since=24h",
                alert=True,
            ),
        ],
    ),
    (
        "outbox",
        _("Messages"),
        [
            _Spec(
                "failed",
                _("failed in the last 24 hours"),
                "messaging.view_outboxmessage",
                lambda user, now: outbox_trouble(
                    q=outbox_failed_since_q(since=recent_since("24h", now=now))
                ),
                "admin:messaging_outboxmessage_changelist",
                "trouble=failed_24h",
                alert=True,
            ),
            _Spec(
                "retrying",
                _("retrying after an error"),
                "messaging.view_outboxmessage",
                lambda user, now: outbox_trouble(q=outbox_retrying_q()),
                "admin:messaging_outboxmessage_changelist",
                "trouble=retrying",
            ),
        ],
    ),
    (
        "notices",
        _("Maintenance"),
        [
            _Spec(
                "notices",
                _("notices in force"),
                "notices.view_notice",
                lambda user, now: notices_in_force(now=now),
                "admin:notices_notice_changelist",
                "state=active",
            ),
        ],
    ),
]


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    count: int
    url: str
    alert: bool


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    figures: list[Figure]


def _counted(rows: QuerySet) -> Coalesce:
    """``SELECT COUNT(*)`` of ``rows`` as a scalar subquery (no GROUP BY, one row)."""
    counted = rows.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def desk_sections(*, user: Any, now: datetime | None = None) -> list[Section]:
    """The desk of ``user``: the sections and numbers they may see, in one query."""
    now = now or timezone.now()
    visible = [
        (key, title, [spec for spec in specs if user.has_perm(spec.perm)])
        for key, title, specs in SPECS
    ]
    visible = [(key, title, specs) for key, title, specs in visible if specs]
    exprs = {spec.key: _counted(spec.rows(user, now)) for _, _, specs in visible for spec in specs}
    counts = (
        User.objects.filter(pk=user.pk).annotate(**exprs).values(*exprs).first() if exprs else {}
    ) or {}
    return [
        Section(
            key,
            str(title),
            [
                Figure(
                    spec.key,
                    str(spec.label),
                    counts.get(spec.key, 0),
                    reverse(spec.url) + (f"?{spec.query}" if spec.query else ""),
                    spec.alert,
                )
                for spec in specs
            ],
        )
        for key, title, specs in visible
    ]
