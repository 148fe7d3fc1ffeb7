"""Retention: old sign-in records go, in batches, off the sign-in path (a scheduled task)."""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import Q, QuerySet
from django.utils import timezone

from signin import conf
from signin.models import ExpiryReminder, FailureCounter, Lock


def signin_records_purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete axes' attempts and logs, our ended locks and idle counters older than
    LOCKOUT_LOG_RETENTION_DAYS. Counters that may still matter (a lock, a run of failures, the
    doubling window) are kept."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(conf.get("LOCKOUT_LOG_RETENTION_DAYS")))
    idle_since = now - max(conf.recurrence_window(), conf.cooloff(), conf.lock_max())
    return {
        "attempts": _purge(AccessAttempt.objects.filter(attempt_time__lt=cutoff)),
        "logs": _purge(AccessLog.objects.filter(attempt_time__lt=cutoff)),
        "failure_logs": _purge(AccessFailureLog.objects.filter(attempt_time__lt=cutoff)),
        "locks": _purge(Lock.objects.filter(Q(ended_at__lt=cutoff) | Q(locked_until__lt=cutoff))),
        "counters": _purge(
            FailureCounter.objects.filter(locked_until__isnull=True)
            .filter(Q(last_failure_at__lt=idle_since) | Q(last_failure_at__isnull=True))
            .filter(Q(last_lock_ended_at__lt=idle_since) | Q(last_lock_ended_at__isnull=True))
        ),
        "reminders": _purge(ExpiryReminder.objects.filter(sent_at__lt=cutoff)),
    }


def _purge(queryset: QuerySet) -> int:
    """Delete in primary-key batches so no statement holds locks on a million rows. Returns how
    many rows of the queryset's model went (related rows cascade with them)."""
    batch = int(conf.get("SIGNIN_CLEANUP_BATCH"))
    total = 0
    while True:
        ids = list(queryset.values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        queryset.model.objects.filter(pk__in=ids).delete()
        total += len(ids)
