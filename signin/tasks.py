"""Celery tasks of the sign-in app: thin, take ids, call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from signin.maintenance import signin_records_purge
from signin.notifications import (
    lock_notify_owner,
    new_browser_notify_owner,
    password_reminders_send,
    unlock_notify_owner,
)
from signin.unlock import locks_expire


@shared_task(name="signin.lock_notify", acks_late=True)
def lock_notify(lock_id: int) -> int:
    return lock_notify_owner(lock_id=lock_id)


@shared_task(name="signin.unlock_notify", acks_late=True)
def unlock_notify(lock_id: int) -> int:
    return unlock_notify_owner(lock_id=lock_id)


@shared_task(name="signin.new_browser_notify", acks_late=True)
def new_browser_notify(audit_event_id: int) -> int:
    return new_browser_notify_owner(audit_event_id=audit_event_id)


@shared_task(name="signin.locks_sweep", acks_late=True)
def locks_sweep() -> int:
    """Every minute: record locks that ran out (``account_unlocked`` with ``how="expired"``)."""
    return locks_expire()


@shared_task(name="signin.cleanup", acks_late=True)
def signin_cleanup() -> dict:
    """Daily: delete attempts, sign-in logs and ended locks older than the retention."""
    return signin_records_purge()


@shared_task(name="signin.password_reminders", acks_late=True)
def password_reminders() -> int:
    return password_reminders_send()
