"""The employee's side: filing a request and replying on its status page."""

from __future__ import annotations

import base64
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.identifiers import identifier_canonical
from accounts.models import User, normalize_identifier
from accounts.selectors import user_find_by_identifier
from portal import limits
from portal.tasks import task_enqueue_on_commit
from signin.selectors import lock_status
from tickets import conf, sla
from tickets.errors import TicketClosed
from tickets.models import Channel, EventKind, Ticket, TicketSequence, TicketStatus, Tried
from tickets.selectors import token_hash
from tickets.services import _common as c
from tickets.services import notify
from tickets.tasks import ticket_notify_received_task

logger = logging.getLogger("tickets")

TOKEN_SALT = "tickets.status-token"  # noqa: S105 (an HMAC salt, not a secret)


def form_nonce_new() -> str:
    """A one-time value for one rendering of the request form (kept in the session)."""
    return secrets.token_urlsafe(32)


def status_token_for(nonce: str) -> str:
    """The status token a form nonce yields: the same nonce always gives the same token, so a
    double-clicked submission finds the request its first click created."""
    digest = salted_hmac(TOKEN_SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def reference_next(*, now: datetime) -> str:
    """``UNL-<year>-<number>``: numbered per year in the tickets time zone, never reused.
    Call inside a transaction: the year's counter row stays locked until it commits."""
    year = now.astimezone(conf.time_zone()).year
    TicketSequence.objects.get_or_create(year=year)
    counter = TicketSequence.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"UNL-{year}-{counter.last:06d}"


def contact_match(user: User | None, contact: str) -> str:
    """Which verified contact of ``user`` the typed ``contact`` is, or "" (also for no user)."""
    typed = normalize_identifier(contact)
    if not typed or user is None:
        return ""
    if user.has_verified_email and typed == normalize_identifier(user.email):
        return Channel.EMAIL
    if user.has_verified_phone and any(ch.isdigit() for ch in typed):
        from phonenumber_field.phonenumber import to_python

        number = to_python(typed)
        if number is not None and number.is_valid() and number == user.phone:
            return Channel.SMS
    return ""


@dataclass(frozen=True)
class Filed:
    ticket: Ticket
    token: str
    created: bool


def ticket_create(
    *,
    username: str,
    nonce: str,
    problem_since: str,
    tried: list[str],
    description: str = "",
    lock_reference: str = "",
    contact: str = "",
    receipt_channel: str = Channel.EMAIL,
    not_maintenance: bool = False,
    language: str = "",
    ip: str | None = None,
    ua: str = "",
    request: HttpRequest | None = None,
) -> Filed:
    """File an unlock request. The same work happens whether or not the account exists; an
    unknown account is flagged for agents only. Submitting the same form (``nonce``) again
    returns the request the first submission created, never a second one.

    Past the account's own limit (``TICKETS_RATE_ACCOUNT``, counted on the account whatever
    spelling named it, and on the canonical text for an unknown name) the request is still filed
    and answered as usual, flagged ``over_account_limit`` (audited ``ticket.account_limited``):
    nobody is messaged about it. Only its flag differs, and only agents see it."""
    token = status_token_for(nonce)
    hashed = token_hash(token)
    existing = Ticket.objects.filter(token_hash=hashed).first()
    if existing is not None:
        return Filed(existing, token, False)
    try:
        with transaction.atomic():
            ticket = _create(
                token_hash_=hashed,
                username=username,
                problem_since=problem_since,
                tried=tried,
                description=description,
                lock_reference=lock_reference,
                contact=contact,
                receipt_channel=receipt_channel,
                not_maintenance=not_maintenance,
                language=language,
                ip=ip,
                ua=ua,
                request=request,
            )
    except IntegrityError:
        # A parallel click of the same form won the race: its request is the one.
        existing = Ticket.objects.filter(token_hash=hashed).first()
        if existing is None:
            raise
        return Filed(existing, token, False)
    return Filed(ticket, token, True)


def account_limit_key(*, user: User | None, typed: str) -> str:
    """What the account's own limit counts on: the account when the text names one, else the
    canonical form of the text (``accounts.identifiers``), as the visible limit does."""
    if user is not None:
        return f"account:{user.pk}"
    return f"name:{identifier_canonical(typed)}"


def _create(*, token_hash_: str, username: str, request, **fields) -> Ticket:
    now = timezone.now()
    typed = normalize_identifier(username)[:150]
    user = user_find_by_identifier(identifier=typed)
    lock = lock_status(username=typed)
    # Counted for every request, known name or not, so the work is the same either way.
    over_limit = bool(
        limits.hit(
            "tickets:account",
            account_limit_key(user=user, typed=typed),
            conf.get("TICKETS_RATE_ACCOUNT"),
        )
    )
    tried = [t for t in Tried.values if t in set(fields["tried"])]
    ticket = Ticket(
        reference=reference_next(now=now),
        token_hash=token_hash_,
        status=TicketStatus.NEW,
        user=user,
        username=typed,
        account_key=c.account_key_for(user=user, typed=typed),
        account_unknown=user is None,
        lock_reference=(fields["lock_reference"] or lock.reference or "")[:16],
        locked_when_filed=lock.locked,
        contact_given=fields["contact"][:254],
        contact_match=contact_match(user, fields["contact"]),
        receipt_channel=fields["receipt_channel"] or Channel.EMAIL,
        over_account_limit=over_limit,
        problem_since=fields["problem_since"],
        tried=tried,
        description=fields["description"],
        not_maintenance=fields["not_maintenance"],
        language=fields["language"][:10],
        ip=fields["ip"],
        user_agent=(fields["ua"] or "")[:255],
        first_response_due=sla.first_response_due(now),
        resolution_due=sla.resolution_due(now),
        created_at=now,
        updated_at=now,
    )
    ticket.due_at = c.next_due(ticket)
    ticket.full_clean(exclude=["token_hash", "user"])
    ticket.save(force_insert=True)
    c.record(ticket, EventKind.CREATED, public=True, status_to=TicketStatus.NEW)
    c.audit(
        "created",
        ticket,
        request=request,
        data={
            "account_unknown": ticket.account_unknown,
            "locked_when_filed": bool(lock.locked),
            "contact_matches": ticket.contact_match or "none",
            "receipt": ticket.receipt_channel,
        },
    )
    if over_limit:
        c.audit("account_limited", ticket, request=request, data={"limit": "TICKETS_RATE_ACCOUNT"})
    # Identical for known and unknown accounts: the task decides whether anyone is told. A broker
    # that is down at commit is logged; ``tickets_received_catch_up`` sends the notice later.
    task_enqueue_on_commit(ticket_notify_received_task, ticket.pk)
    return ticket


def tickets_received_catch_up(
    *, now: datetime | None = None, grace_seconds: int = 120, batch: int = 200
) -> int:
    """The periodic safety net for a "request received" task never queued (the broker was down
    at commit time): requests of the last day still without their notice are handled now, at
    most once each (``ticket_notify_received`` is idempotent). Returns how many were told."""
    now = now or timezone.now()
    ids = list(
        Ticket.objects.filter(
            received_notice_at__isnull=True,
            created_at__gte=now - timedelta(days=1),
            created_at__lte=now - timedelta(seconds=grace_seconds),
        )
        .order_by("id")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(ticket_notify_received(ticket_id=ticket_id) for ticket_id in ids)


@transaction.atomic
def ticket_notify_received(*, ticket_id: int) -> bool:
    """Tell the account's verified contacts that a request was filed (once, even when the task
    runs twice). Returns whether a message was queued now."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("user")
        .filter(pk=ticket_id)
        .first()
    )
    if ticket is None or ticket.received_notice_at is not None:
        return False
    ticket.received_notice_at = timezone.now()
    ticket.save(update_fields=["received_notice_at"])
    if ticket.user_id is None:
        return False
    notify.received(ticket)
    return True


@transaction.atomic
def ticket_reply(*, ticket: Ticket, body: str, request: HttpRequest | None = None) -> Ticket:
    """The employee adds a message from the status page. Refused on a closed request. A reply to
    a request waiting for the employee puts it back in the agents' queue."""
    ticket = c.lock_ticket(ticket)
    if ticket.status not in c.ALLOWED_FROM["reply"]:
        raise TicketClosed()
    c.record(ticket, EventKind.REPLY, public=True, body=body)
    if ticket.status == TicketStatus.WAITING:
        back = TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.NEW
        c.set_status(ticket, back)
    else:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=["updated_at"])
    c.audit("replied", ticket, request=request, data={"length": len(body)})
    return ticket
