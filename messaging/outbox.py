"""The outbox's life cycle after a message is written: queue, claim, deliver, retry, sweep.

Exactly-once towards the provider rests on one conditional UPDATE (``queued`` → ``sending``):
however many copies of the task arrive (Redis redelivery, a retry racing the sweep), one claims
the row and calls the provider; the others find nothing to claim. A worker that dies mid-call
leaves the row ``sending``; the sweep puts it back after ``MESSAGING_SENDING_TIMEOUT_SECONDS``
(the only case where a provider may see a message twice: email keeps its Message-ID, the webhook
its Idempotency-Key, so both can fold it away).
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from messaging import conf
from messaging.delivery import deliver
from messaging.errors import DeliveryError, OutboxStateError, TransientDeliveryError
from messaging.models import OutboxMessage
from messaging.signals import message_sent, message_undelivered
from portal.tasks import task_enqueue, task_enqueue_on_commit

logger = logging.getLogger(__name__)

Status = OutboxMessage.Status
CLAIM_SLACK = timedelta(seconds=1)
WIPED = {"subject": "", "body_text": "", "body_html": "", "params": {}}


# --- Queueing -----------------------------------------------------------------------------------
def enqueue(message_id: int, *, countdown: float | None = None) -> bool:
    """Hand the id to the broker now. A broker that is down costs one fast failure, never the
    caller's request: the row stays ``queued`` and the sweep queues it again."""
    # Imported here: messaging.tasks imports messaging.services, which imports this module.
    from messaging.tasks import messaging_deliver

    return task_enqueue(messaging_deliver, message_id, countdown=countdown)


def enqueue_on_commit(message_id: int, *, countdown: float | None = None) -> None:
    # Imported here: messaging.tasks imports messaging.services, which imports this module.
    from messaging.tasks import messaging_deliver

    task_enqueue_on_commit(messaging_deliver, message_id, countdown=countdown)


def retry_delay(attempt: int) -> float:
    """Exponential backoff with equal jitter: after attempt n, between half and all of
    ``min(cap, base * 2**(n-1))`` seconds."""
    base = float(conf.get("MESSAGING_RETRY_BASE_SECONDS"))
    cap = float(conf.get("MESSAGING_RETRY_CAP_SECONDS"))
    ceiling = min(cap, base * 2 ** max(attempt - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


# --- Delivery -----------------------------------------------------------------------------------
def _claim(message_id: int, now: datetime) -> bool:
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status=Status.QUEUED, next_attempt_at__lte=now + CLAIM_SLACK
        ).update(status=Status.SENDING, attempts=F("attempts") + 1, claimed_at=now, updated_at=now)
    )


def _held(message: OutboxMessage):
    """The row as this attempt claimed it (a recovered, re-claimed row is no longer ours)."""
    return OutboxMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, attempts=message.attempts
    )


def _audit_failed(message: OutboxMessage, error: str) -> None:
    logger.error(
        "outbox message %s failed kind=%s channel=%s attempts=%s: %s",
        message.pk,
        message.kind,
        message.channel,
        message.attempts,
        error,
    )
    audit_record(
        event="messaging.failed",
        user=message.user,
        subject=message.masked_recipient,
        data={
            "kind": message.kind,
            "channel": message.channel,
            "attempts": message.attempts,
            "error": error[:200],
            "reference": str(message.reference),
        },
    )


def _fail(message: OutboxMessage, error: str, now: datetime, rows=None) -> bool:
    with transaction.atomic():
        done = (rows if rows is not None else _held(message)).update(
            status=Status.FAILED, last_error=error[:500], claimed_at=None, updated_at=now
        )
        if done:
            _audit_failed(message, error)
            message_undelivered.send(
                sender=OutboxMessage, message=message, outcome="failed", error=error[:200]
            )
    return bool(done)


def _wipe_now(message: OutboxMessage) -> bool:
    return message.secret and not conf.keep_secrets_until_expiry()


def outbox_deliver(*, message_id: int) -> str:
    """Deliver one message if it is due and nobody else holds it. Returns what happened:
    ``sent``, ``retry``, ``failed``, ``expired`` or ``skipped``."""
    now = timezone.now()
    if not _claim(message_id, now):
        return "skipped"
    message = OutboxMessage.objects.select_related("user").get(pk=message_id)
    if message.expires_at is not None and message.expires_at <= now:
        changes = {"status": Status.EXPIRED, "claimed_at": None, "updated_at": now}
        if message.secret:
            changes |= WIPED | {"wiped_at": now}
        with transaction.atomic():
            if _held(message).update(**changes):
                message_undelivered.send(
                    sender=OutboxMessage, message=message, outcome="expired", error="expired"
                )
        logger.info("outbox message %s expired before delivery", message.pk)
        return "expired"
    try:
        provider_id = deliver(message)
    except DeliveryError as exc:
        return _after_error(message, exc, timezone.now())
    except Exception as exc:
        # A bug or an unexpected library error: the outcome is unknown, treat it as transient.
        logger.exception("outbox message %s: unexpected delivery error", message.pk)
        return _after_error(
            message, TransientDeliveryError(f"unexpected error ({exc.__class__.__name__})"), now
        )
    done = timezone.now()
    changes = {
        "status": Status.SENT,
        "sent_at": done,
        "provider_message_id": (provider_id or "")[:128],
        "claimed_at": None,
        "updated_at": done,
    }
    if _wipe_now(message):
        changes |= WIPED | {"wiped_at": done}
    with transaction.atomic():
        if _held(message).update(**changes):
            message_sent.send(sender=OutboxMessage, message=message)
        else:
            logger.warning(
                "outbox message %s sent, but its row was taken over meanwhile", message.pk
            )
    logger.info(
        "outbox message %s sent kind=%s channel=%s attempt=%s",
        message.pk,
        message.kind,
        message.channel,
        message.attempts,
    )
    return "sent"


def _redacted(error: str, message: OutboxMessage) -> str:
    """Provider errors often quote the number or the address ("+8613800138000 is not a valid
    mobile number"): keep only its masked form in the row, the audit trail and the log."""
    for variant in sorted({message.recipient, message.recipient.lstrip("+")}, key=len)[::-1]:
        if len(variant) >= 5:
            error = error.replace(variant, message.masked_recipient)
    return error


def _after_error(message: OutboxMessage, exc: DeliveryError, now: datetime) -> str:
    error = _redacted(str(exc), message)
    if not exc.transient:
        _fail(message, error, now)
        return "failed"
    attempts = message.attempts
    if not exc.counts_attempt:
        # A rate limit (ours or the provider's): not an attempt; the row waits its turn, bounded
        # by its expiry, never failed for it.
        attempts -= 1
        delay = float(exc.retry_after or retry_delay(1))
    elif message.attempts >= conf.get("MESSAGING_MAX_ATTEMPTS"):
        _fail(message, f"gave up after {message.attempts} attempts: {error}", now)
        return "failed"
    else:
        delay = retry_delay(message.attempts)
        if exc.retry_after:
            cap = conf.get("MESSAGING_RETRY_CAP_SECONDS")
            delay = max(delay, min(float(exc.retry_after), cap))
    updated = _held(message).update(
        status=Status.QUEUED,
        attempts=attempts,
        next_attempt_at=now + timedelta(seconds=delay),
        last_error=error[:500],
        claimed_at=None,
        updated_at=now,
    )
    logger.warning(
        "outbox message %s attempt %s failed (%s); retry in %.1f s",
        message.pk,
        message.attempts,
        error,
        delay,
    )
    if updated:
        enqueue(message.pk, countdown=delay)
    return "retry"


# --- The admin's "retry now" --------------------------------------------------------------------
@transaction.atomic
def outbox_retry(*, message: OutboxMessage, actor: Any, request=None) -> OutboxMessage:
    """Queue a failed message again (attempts start over). Refused once its content is gone or
    its time is up: then the flow that sent it must send a new one."""
    row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    now = timezone.now()
    if row.status != Status.FAILED:
        raise OutboxStateError(_("Only failed messages can be retried."))
    if row.wiped_at is not None:
        raise OutboxStateError(_("Its content was wiped; send a new message instead."))
    if row.expires_at is not None and row.expires_at <= now:
        raise OutboxStateError(_("It has expired; send a new message instead."))
    row.status = Status.QUEUED
    row.attempts = 0
    row.next_attempt_at = now
    row.claimed_at = None
    row.updated_at = now
    row.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at", "updated_at"])
    audit_record(
        event="messaging.retry_requested",
        request=request,
        actor=actor,
        user=row.user,
        subject=row.masked_recipient,
        data={"kind": row.kind, "channel": row.channel, "reference": str(row.reference)},
    )
    enqueue_on_commit(row.pk)
    return row


# --- The sweep (beat, every 30 s) ---------------------------------------------------------------
def _expire_due(now: datetime) -> int:
    """Queued rows past their expiry become ``expired``, each with ``message_undelivered``
    (as a late task's expiry sends it), so whoever waits on a message hears it will not come."""
    due = (
        OutboxMessage.objects.filter(status=Status.QUEUED, expires_at__lte=now)
        .select_related("user")
        .order_by("expires_at")[: conf.get("MESSAGING_SWEEP_BATCH")]
    )
    expired = 0
    for message in due:
        with transaction.atomic():
            rows = OutboxMessage.objects.filter(pk=message.pk, status=Status.QUEUED)
            if rows.update(status=Status.EXPIRED, updated_at=now):
                expired += 1
                message_undelivered.send(
                    sender=OutboxMessage, message=message, outcome="expired", error="expired"
                )
    return expired


def _wipe_due(now: datetime) -> int:
    """Secret content is wiped once sent (at once, or at expiry in DEBUG) or expired; a failed
    secret message keeps its content for "retry now" until it expires."""
    done = OutboxMessage.objects.filter(
        secret=True,
        wiped_at__isnull=True,
        status__in=[Status.SENT, Status.EXPIRED, Status.FAILED],
        expires_at__lte=now,
    ).update(**WIPED, wiped_at=now)
    if not conf.keep_secrets_until_expiry():
        done += OutboxMessage.objects.filter(
            secret=True, wiped_at__isnull=True, status=Status.SENT
        ).update(**WIPED, wiped_at=now)
    return done


def _recover_stuck(now: datetime) -> list[int]:
    """Rows whose worker died mid-delivery go back to the queue (or fail when out of tries)."""
    cutoff = now - timedelta(seconds=conf.get("MESSAGING_SENDING_TIMEOUT_SECONDS"))
    batch = conf.get("MESSAGING_SWEEP_BATCH")
    stuck = list(
        OutboxMessage.objects.filter(status=Status.SENDING, claimed_at__lte=cutoff)
        .select_related("user")
        .order_by("claimed_at")[:batch]
    )
    again = []
    for message in stuck:
        rows = OutboxMessage.objects.filter(
            pk=message.pk, status=Status.SENDING, claimed_at=message.claimed_at
        )
        error = "delivery interrupted: the worker was lost"
        if message.attempts >= conf.get("MESSAGING_MAX_ATTEMPTS"):
            _fail(message, error, now, rows=rows)
        elif rows.update(
            status=Status.QUEUED,
            next_attempt_at=now,
            last_error=error,
            claimed_at=None,
            updated_at=now,
        ):
            again.append(message.pk)
    return again


def _requeue_stale(now: datetime) -> list[int]:
    cutoff = now - timedelta(seconds=conf.get("MESSAGING_REQUEUE_AFTER_SECONDS"))
    ids = list(
        OutboxMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[: conf.get("MESSAGING_SWEEP_BATCH")]
    )
    if ids:
        # Touch them, so the next sweep waits another interval before queueing them again.
        OutboxMessage.objects.filter(pk__in=ids, status=Status.QUEUED).update(next_attempt_at=now)
    return ids


def outbox_sweep() -> dict[str, int]:
    """Expire what is too late to send, wipe secrets whose time is up, recover rows whose worker
    died, and queue again rows the broker never delivered (it was down at commit time)."""
    now = timezone.now()
    expired = _expire_due(now)
    wiped = _wipe_due(now)
    recovered = _recover_stuck(now)
    stale = _requeue_stale(now)
    queued = 0
    for message_id in [*recovered, *stale]:
        if not enqueue(message_id):
            break  # broker still down: the next sweep tries again
        queued += 1
    result = {
        "expired": expired,
        "wiped": wiped,
        "recovered": len(recovered),
        "requeued": queued,
    }
    if any(result.values()):
        logger.info("outbox sweep %s", " ".join(f"{k}={v}" for k, v in result.items()))
    return result
