"""The pass's life on the agents' side: request (privileged accounts), approve, decline, issue,
revoke, and the sweep that expires what ran out. Keyword-only, typed, atomic; each writes its
audit row in the same transaction. The sign-in with a pass is ``access_pass.door``; what follows
it (a new password or a passkey) is ``access_pass.enrol``.

Dual control, as for an agent's unlock: for a privileged account (staff or superuser) one agent
asks for a pass (``pass_request``), a second one approves it (``pass_approve``), and then an agent
other than the approver issues it (``pass_issue``), within ``ACCESS_PASS_APPROVAL_SECONDS``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from access_pass import conf
from access_pass.errors import ApprovalRequired, DeliveryRefused, NoContact, PassError, SameAgent
from access_pass.models import LIVE_STATES, AccessPass, Delivery, PassState
from access_pass.secret import pass_digest, pass_generate, pass_normalize
from accounts.codes import verified_address
from accounts.masking import mask_contact
from audit.services import audit_record
from messaging.errors import MessagingError
from messaging.kinds import Priority
from messaging.services import messaging_notify_user, messaging_send

SENT_BY = {d.value for d in Delivery} - {Delivery.SHOWN.value}


@dataclass(frozen=True)
class Issued:
    access_pass: AccessPass
    secret: str | None  # the pass, only when it is to be shown to the agent (never stored)


def is_privileged(user: Any) -> bool:
    return bool(user.is_staff or user.is_superuser)


def _audit(event: str, access_pass: AccessPass, *, actor=None, request=None, data=None) -> None:
    audit_record(
        event=f"access_pass.{event}",
        request=request,
        actor=actor,
        user=access_pass.user,
        subject=access_pass.user.get_username(),
        data={"pass": access_pass.pk, "reference": access_pass.reference, **(data or {})},
    )


def _end_live(*, user: Any, actor: Any, request, now, why: str) -> None:
    """End the account's live pass, if any: the one before a new one is asked for or issued."""
    for old in AccessPass.objects.select_for_update().filter(user=user, state__in=LIVE_STATES):
        ran_out = old.state == PassState.ACTIVE and old.expires_at and old.expires_at <= now
        old.state = PassState.EXPIRED if ran_out else PassState.REVOKED
        old.ended_at, old.ended_by = now, actor
        old.save(update_fields=["state", "ended_at", "ended_by"])
        _audit(
            "expired" if ran_out else "revoked",
            old,
            actor=actor,
            request=request,
            data={"why": why},
        )


def _check_delivery(*, user: Any, delivery: str) -> str:
    """The verified address the pass goes to ("" when it is shown to the agent)."""
    if delivery == Delivery.SHOWN:
        return ""
    if delivery not in SENT_BY:
        raise PassError()
    address = verified_address(user=user, channel=delivery)
    if not address:
        raise NoContact()
    return address


@transaction.atomic
def pass_request(
    *,
    user: Any,
    actor: Any,
    reference: str = "",
    delivery: str = Delivery.SHOWN,
    request: HttpRequest | None = None,
) -> AccessPass:
    """An agent asks for a pass for a privileged account; it waits for a second agent. The
    account's live pass, if any, is revoked."""
    _check_delivery(user=user, delivery=delivery)
    now = timezone.now()
    _end_live(user=user, actor=actor, request=request, now=now, why="new_request")
    access_pass = AccessPass.objects.create(
        user=user,
        state=PassState.APPROVAL,
        reference=reference,
        delivery=delivery,
        requested_by=actor,
        requested_at=now,
    )
    _audit("requested", access_pass, actor=actor, request=request, data={"delivery": delivery})
    return access_pass


def _waiting(*, user: Any, state: str) -> AccessPass | None:
    return (
        AccessPass.objects.select_for_update(of=("self",))
        .select_related("user", "requested_by", "approved_by")
        .filter(user=user, state=state)
        .first()
    )


@transaction.atomic
def pass_approve(*, user: Any, actor: Any, request: HttpRequest | None = None) -> AccessPass:
    """The second agent approves the pass another agent asked for."""
    access_pass = _waiting(user=user, state=PassState.APPROVAL)
    if access_pass is None:
        raise PassError()
    if access_pass.requested_by_id in (None, actor.pk):
        raise SameAgent()
    access_pass.state = PassState.APPROVED
    access_pass.approved_by, access_pass.approved_at = actor, timezone.now()
    access_pass.save(update_fields=["state", "approved_by", "approved_at"])
    _audit(
        "approved",
        access_pass,
        actor=actor,
        request=request,
        data={"requested_by": access_pass.requested_by.get_username()},
    )
    return access_pass


@transaction.atomic
def pass_decline(
    *, user: Any, actor: Any, reason: str, request: HttpRequest | None = None
) -> AccessPass:
    access_pass = _waiting(user=user, state=PassState.APPROVAL)
    if access_pass is None:
        raise PassError()
    if access_pass.requested_by_id == actor.pk:
        raise SameAgent()
    access_pass.state = PassState.DECLINED
    access_pass.ended_at, access_pass.ended_by = timezone.now(), actor
    access_pass.save(update_fields=["state", "ended_at", "ended_by"])
    _audit("declined", access_pass, actor=actor, request=request, data={"reason": reason[:500]})
    return access_pass


@transaction.atomic
def pass_issue(
    *,
    user: Any,
    actor: Any,
    reference: str = "",
    delivery: str = Delivery.SHOWN,
    request: HttpRequest | None = None,
) -> Issued:
    """Issue a pass: shown once to ``actor`` (``delivery="shown"``, returned in ``Issued``) or
    sent to the account's verified contact on ``delivery`` (never returned). Single use, for
    ``ACCESS_PASS_TTL_SECONDS``; the account's earlier live pass is revoked. A privileged account
    needs a pass approved by another agent (``ApprovalRequired``, ``SameAgent``). The owner is
    told on every channel that a pass was issued."""
    if not user.is_active:
        raise PassError()
    address = _check_delivery(user=user, delivery=delivery)
    now = timezone.now()
    approved = None
    if is_privileged(user):
        approved = _waiting(user=user, state=PassState.APPROVED)
        window = timedelta(seconds=conf.get("ACCESS_PASS_APPROVAL_SECONDS"))
        if approved is None or approved.approved_at + window <= now:
            raise ApprovalRequired()
        if approved.approved_by_id == actor.pk:
            raise SameAgent()
    secret = pass_generate()
    ttl = int(conf.get("ACCESS_PASS_TTL_SECONDS"))
    if approved is not None:
        access_pass = approved
        access_pass.delivery = delivery
    else:
        _end_live(user=user, actor=actor, request=request, now=now, why="new_pass")
        access_pass = AccessPass(
            user=user, reference=reference, delivery=delivery, requested_by=actor, requested_at=now
        )
    access_pass.state = PassState.ACTIVE
    access_pass.digest = pass_digest(pass_normalize(secret))
    access_pass.issued_by, access_pass.issued_at = actor, now
    access_pass.expires_at = now + timedelta(seconds=ttl)
    access_pass.delivered_to = mask_contact(delivery, address) if address else ""
    access_pass.save()
    agent_name = actor.get_full_name() or actor.get_username()
    data = {
        "delivery": delivery,
        "expires_at": access_pass.expires_at.isoformat(),
        "approved_by": access_pass.approved_by.get_username() if access_pass.approved_by else "",
    }
    _audit("issued", access_pass, actor=actor, request=request, data=data)
    if address:
        try:
            with transaction.atomic():
                messaging_send(
                    channel=delivery,
                    kind="access_pass_code",
                    context={
                        "code": secret,
                        "expires_minutes": max(1, ttl // 60),
                        "agent_name": agent_name,
                    },
                    to_user=user,
                    to_address=address,
                    secret=True,
                    expires_at=access_pass.expires_at,
                    idempotency_key=f"access-pass:{access_pass.pk}",
                    priority=Priority.CODE,
                )
        except MessagingError as exc:  # caps, blocked number, bad address: nothing is issued
            raise DeliveryRefused(str(exc) or None) from exc
        _audit(
            "sent",
            access_pass,
            actor=actor,
            request=request,
            data={"channel": delivery, "to": access_pass.delivered_to},
        )
    notice_send(user=user, event="issued", context={"agent_name": agent_name})
    return Issued(access_pass=access_pass, secret=None if address else secret)


@transaction.atomic
def pass_revoke(*, user: Any, actor: Any, request: HttpRequest | None = None) -> bool:
    """End the account's live pass (issued, approved or waiting). False when there was none."""
    had = AccessPass.objects.filter(user=user, state__in=LIVE_STATES).exists()
    _end_live(user=user, actor=actor, request=request, now=timezone.now(), why="agent")
    return had


def passes_expire(*, now=None, batch: int = 500) -> int:
    """The sweep: issued passes whose hour ran out, and approvals that were never used, become
    expired (each audited). Returns how many."""
    now = now or timezone.now()
    window = timedelta(seconds=conf.get("ACCESS_PASS_APPROVAL_SECONDS"))
    done = 0
    with transaction.atomic():
        stale = (
            AccessPass.objects.select_for_update(skip_locked=True)
            .select_related("user")
            .filter(
                Q(state=PassState.ACTIVE, expires_at__lte=now)
                | Q(
                    state__in=[PassState.APPROVAL, PassState.APPROVED],
                    requested_at__lte=now - window,
                )
            )
            .order_by("pk")[:batch]
        )
        for access_pass in stale:
            access_pass.state = PassState.EXPIRED
            access_pass.ended_at = now
            access_pass.save(update_fields=["state", "ended_at"])
            _audit("expired", access_pass, data={"why": "time"})
            done += 1
    return done


def notice_send(*, user: Any, event: str, context: dict | None = None) -> None:
    """Tell the owner on every verified channel: a pass was issued (``issued``), or after one
    the password was set (``password``) or a passkey registered (``passkey``)."""
    with contextlib.suppress(MessagingError):  # a notice never undoes what it reports
        messaging_notify_user(
            user=user,
            kind="access_pass_notice",
            context={"event": event, "at": timezone.now(), **(context or {})},
            priority=Priority.SECURITY,
        )
