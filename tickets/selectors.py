"""Reads on unlock requests: the status page, the agents' queue and the account timeline."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.identifiers import identifier_canonical
from accounts.models import User
from audit.models import AuditEvent
from messaging.selectors import outbox_for_user
from notices.models import Notice
from signin.models import Lock, Scope
from signin.selectors import lock_status, locks_active
from tickets import conf, sla
from tickets.models import CLOSED_STATUSES, OPEN_STATUSES, Ticket, TicketEvent, TicketStatus

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
TOKEN_HASH_SHAPE = re.compile(r"^[0-9a-f]{64}$")


def token_hash(token: str) -> str:
    """What is stored of a status link's token (its SHA-256), and what a browser's session keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def account_q(*, user: Any = None, username: str = "") -> Q:
    """Tickets of one account: by the account when known, else by the lock key of the name."""
    if getattr(user, "pk", None):
        return Q(user_id=user.pk)
    return Q(user__isnull=True, account_key=identifier_canonical(username))


# --- The employee's status page ---------------------------------------------------------------
def ticket_by_token(*, token: str) -> Ticket | None:
    """The request a status link opens, or None for anything forged, truncated or unknown."""
    if not isinstance(token, str) or not TOKEN_SHAPE.match(token):
        return None
    return Ticket.objects.filter(token_hash=token_hash(token)).first()


def ticket_by_token_hash(*, hashed: str) -> Ticket | None:
    """The request whose token hashes to ``hashed`` (what a browser's session keeps), or None."""
    if not isinstance(hashed, str) or not TOKEN_HASH_SHAPE.match(hashed):
        return None
    return Ticket.objects.filter(token_hash=hashed).first()


def ticket_public_events(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.filter(public=True).order_by("created_at", "id")


@dataclass(frozen=True)
class ExpectedWait:
    """What the status page says about the wait, honestly: the SLA deadline, whether agents are
    working right now, and whether we are already late."""

    state: str  # "first_response", "resolution", "waiting_for_you", "approval", "closed"
    due: datetime | None
    late: bool
    agents_working_now: bool
    next_business_start: datetime | None
    ahead: int | None = None  # open requests filed earlier that no agent has taken yet


def ticket_expected_wait(*, ticket: Ticket, now: datetime | None = None) -> ExpectedWait:
    now = now or timezone.now()
    working = sla.in_business_hours(now)
    reopens = None if working else sla.next_business_start(now)
    if ticket.status in CLOSED_STATUSES:
        return ExpectedWait("closed", None, False, working, reopens)
    if ticket.status == TicketStatus.WAITING:
        return ExpectedWait("waiting_for_you", None, False, working, reopens)
    if ticket.first_responded_at is None:
        ahead = Ticket.objects.filter(
            status=TicketStatus.NEW, created_at__lt=ticket.created_at
        ).count()
        due = ticket.first_response_due
        return ExpectedWait("first_response", due, due < now, working, reopens, ahead)
    state = "approval" if ticket.status == TicketStatus.APPROVAL else "resolution"
    due = ticket.resolution_due
    return ExpectedWait(state, due, due < now, working, reopens)


# --- SLA state --------------------------------------------------------------------------------
SLA_BREACHED, SLA_NEAR, SLA_OK, SLA_PAUSED, SLA_MET, SLA_MISSED = (
    "breached",
    "near",
    "ok",
    "paused",
    "met",
    "missed",
)


def ticket_sla_state(*, ticket: Ticket, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if ticket.status in CLOSED_STATUSES:
        late = ticket.resolved_at and ticket.resolved_at > ticket.resolution_due
        return SLA_MISSED if late else SLA_MET
    if ticket.due_at is None:
        return SLA_PAUSED
    if ticket.due_at <= now:
        return SLA_BREACHED
    if ticket.due_at <= now + timedelta(minutes=conf.get("TICKETS_SLA_WARNING_MINUTES")):
        return SLA_NEAR
    return SLA_OK


# ``due_at`` is set exactly while a request is open and not waiting for the employee, so these
# read one range of the queue's (due_at, id) index.
def sla_breached_q(now: datetime) -> Q:
    return Q(due_at__lte=now)


def sla_near_q(now: datetime) -> Q:
    warn = now + timedelta(minutes=conf.get("TICKETS_SLA_WARNING_MINUTES"))
    return Q(due_at__gt=now, due_at__lte=warn)


def sla_ok_q(now: datetime) -> Q:
    return Q(due_at__gt=now + timedelta(minutes=conf.get("TICKETS_SLA_WARNING_MINUTES")))


# --- The agents' queue ------------------------------------------------------------------------
def open_q() -> Q:
    return Q(status__in=OPEN_STATUSES)


def waiting_for_agent_q() -> Q:
    """New requests nobody has taken up yet (a claim or an answer moves them on)."""
    return Q(status=TicketStatus.NEW)


def awaiting_approval_q() -> Q:
    """Unlocks of privileged accounts waiting for a second agent."""
    return Q(status=TicketStatus.APPROVAL)


def assigned_to_q(*, user: Any) -> Q:
    return Q(assignee_id=getattr(user, "pk", None))


def tickets_where(*, q: Q) -> QuerySet[Ticket]:
    return Ticket.objects.filter(q)


def _active_account_locks(now: datetime) -> QuerySet:
    """Account locks in force now (the sign-in app's ``Lock`` rows), for one correlated
    subquery per page instead of one ``lock_status`` call per row."""
    return locks_active(now=now).filter(scope=Scope.ACCOUNT)


def queue_queryset(*, now: datetime | None = None) -> QuerySet[Ticket]:
    """Tickets with their account, assignee and the account's lock now, in one query."""
    now = now or timezone.now()
    locks = _active_account_locks(now).filter(key=OuterRef("account_key"))
    return Ticket.objects.select_related("user", "assignee").annotate(
        locked_now=Exists(locks),
        locked_until_now=Subquery(locks.order_by("-locked_until").values("locked_until")[:1]),
        lock_reference_now=Subquery(locks.order_by("-locked_until").values("reference")[:1]),
    )


def tickets_with_lock_ended(*, now: datetime | None = None, grace_seconds: int = 120) -> QuerySet:
    """(ticket id, how) of open requests whose account lock was recorded as ended (at least
    ``grace_seconds`` ago, so the signal had its chance) after they were filed, and that have no
    lock in force now: what ``tickets_reconcile_locks`` resolves."""
    now = now or timezone.now()
    ended = Lock.objects.filter(
        scope=Scope.ACCOUNT,
        key=OuterRef("account_key"),
        ended_at__isnull=False,
        ended_at__gte=OuterRef("created_at"),
        ended_at__lte=now - timedelta(seconds=grace_seconds),
    ).order_by("-ended_at")
    active = _active_account_locks(now).filter(key=OuterRef("account_key"))
    return (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .annotate(ended_how=Subquery(ended.values("ended_how")[:1]), locked=Exists(active))
        .filter(ended_how__isnull=False, locked=False)
        .order_by("id")
        .values_list("id", "ended_how")
    )


def locked_now_q(*, now: datetime | None = None) -> Q:
    now = now or timezone.now()
    return Q(Exists(_active_account_locks(now).filter(key=OuterRef("account_key"))))


def agents() -> QuerySet:
    """Active staff who may handle unlock requests (group, own permission or superuser)."""
    perm = Q(codename="change_ticket", content_type__app_label="tickets")
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(perm)
    return (
        User.objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=perms) | Q(user_permissions__in=perms)
        )
        .distinct()
        .order_by("username")
    )


# --- The account timeline on the ticket page --------------------------------------------------
TIMELINE_PREFIXES = (
    "signin.",
    "reset.",
    "code.",
    "account.",
    "contact.",
    "twostep.",
    "messaging.",
    "sso.",  # app sign-ins: tokens issued, refused, revoked; logouts sent; agents' sign-outs
)
# A recovery contact changed shortly before a request: the code may reach whoever changed it.
RISKY_EVENTS = ("contact.changed", "twostep.disabled", "twostep.removed")


@dataclass
class AccountTimeline:
    audit: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    earlier_tickets: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    since: datetime | None = None

    @property
    def risky(self) -> list:
        """Recent changes that make a code sent to the account's contacts weaker proof."""
        return [a for a in self.audit if a.event in RISKY_EVENTS]


def account_timeline(*, ticket: Ticket, now: datetime | None = None) -> AccountTimeline:
    """What happened to the account around the request: sign-in failures (time, IP, browser),
    locks and unlocks, resets and codes (with the outbox delivery status), earlier requests, and
    maintenance notices that overlapped. A fixed number of queries, whatever the history."""
    now = now or timezone.now()
    since = ticket.created_at - timedelta(days=conf.get("TICKETS_TIMELINE_DAYS"))
    until = max(now, ticket.resolved_at or now)
    if ticket.user_id:
        audit_qs = AuditEvent.objects.filter(user_id=ticket.user_id)
    else:
        audit_qs = AuditEvent.objects.filter(
            user__isnull=True, subject__in={ticket.username, ticket.account_key}
        )
    prefix = Q()
    for p in TIMELINE_PREFIXES:
        prefix |= Q(event__startswith=p)
    audit = list(
        audit_qs.filter(prefix, created_at__gte=since, created_at__lte=until)
        .select_related("actor")
        .order_by("-created_at", "-id")[:60]
    )
    earlier = list(
        Ticket.objects.filter(account_q(user=ticket.user, username=ticket.account_key))
        .exclude(pk=ticket.pk)
        .select_related("assignee")
        .order_by("-created_at", "-id")[:10]
    )
    return AccountTimeline(
        audit=audit,
        messages=_messages(ticket=ticket, since=since),
        earlier_tickets=earlier,
        notices=_notices(start=since, end=until),
        since=since,
    )


def _messages(*, ticket: Ticket, since: datetime) -> list:
    if not ticket.user_id:
        return []

    return [m for m in outbox_for_user(user=ticket.user, limit=30) if m.created_at >= since]


def _notices(*, start: datetime, end: datetime) -> list:
    return list(
        Notice.objects.filter(published=True, starts_at__lt=end, ends_at__gt=start).order_by(
            "-starts_at"
        )[:10]
    )


def open_tickets_for_account(*, ticket: Ticket) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(
            account_q(user=ticket.user, username=ticket.account_key), status__in=OPEN_STATUSES
        )
        .exclude(pk=ticket.pk)
        .order_by("created_at")
    )


def ticket_lock_now(*, ticket: Ticket) -> Any:
    """The sign-in app's lock status of the request's account, now."""
    return lock_status(username=ticket.user.get_username() if ticket.user else ticket.username)


def lock_keys_for_reference(*, reference: str) -> list[str]:
    """Account keys of the locks with this reference (the queue's search by ``LK-...``)."""
    return list(
        Lock.objects.filter(reference=reference, scope__in=[Scope.ACCOUNT, Scope.BROWSER])
        .values_list("key", flat=True)
        .distinct()[:10]
    )


def user_ids_for_email(*, email: str) -> QuerySet:
    """Accounts with this email (subquery on the case-insensitive email index)."""
    from django.db.models.functions import Lower

    return (
        User.objects.exclude(email="")
        .annotate(email_ci=Lower("email"))
        .filter(email_ci=email.casefold())
        .values("pk")
    )


def unlock_requests_for_user(*, user, limit: int = 10) -> list[Ticket]:
    """The user's unlock requests, newest first: the security page's section (named by
    ``ACCOUNTS_UNLOCK_REQUESTS``)."""
    return list(Ticket.objects.filter(user=user).order_by("-pk")[:limit])
