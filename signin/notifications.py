"""Messages to account owners (services called by ``signin.tasks``; each is idempotent).

Kinds (templates in ``signin/templates/messages/<kind>/``): ``signin_locked`` (one per lock),
``signin_unlocked`` (an agent lifted the lock), ``signin_new_browser`` (a sign-in from a browser
the account did not know), ``password_expiry_reminder`` (14, 7 and 1 days before expiry).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import DateTimeField, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from messaging.services import messaging_notify_user
from portal.net import browser_label
from signin import conf
from signin.models import ExpiryReminder, Lock, Scope

log = logging.getLogger(__name__)

RESET_PATH = "/accounts/password/reset/"


def _notify(*, user, kind: str, context: dict) -> int:
    return len(messaging_notify_user(user=user, kind=kind, context=context))


@transaction.atomic
def lock_notify_owner(*, lock_id: int) -> int:
    """The one message per lock: when, how many failures, from where, until when, what to do."""
    lock = (
        Lock.objects.select_for_update(of=("self",))
        .filter(pk=lock_id, notified_at__isnull=True)
        .exclude(scope=Scope.IP)
        .select_related("user")
        .first()
    )
    if lock is None:
        return 0
    lock.notified_at = timezone.now()
    lock.save(update_fields=["notified_at"])
    if lock.user is None or not lock.user.is_active:
        return 0  # an unknown name: nobody to tell
    last = lock.sources[0] if lock.sources else {}
    return _notify(
        user=lock.user,
        kind="signin_locked",
        context={
            "locked_at": lock.locked_at,
            "locked_until": lock.locked_until,
            "minutes": lock.minutes,
            "failures": lock.failures,
            "ip": last.get("ip") or "",
            "browser": last.get("browser") or "",
            "sources": lock.sources[:5],
            "reference": lock.reference,
            "known_browser": lock.scope == Scope.BROWSER,
            "reset_path": RESET_PATH,
        },
    )


@transaction.atomic
def unlock_notify_owner(*, lock_id: int) -> int:
    lock = Lock.objects.filter(pk=lock_id).select_related("user", "ended_by").first()
    if lock is None or lock.user is None or lock.ended_how != "manual":
        return 0
    return _notify(
        user=lock.user,
        kind="signin_unlocked",
        context={
            "reference": lock.reference,
            "unlocked_at": lock.ended_at,
            "reset_path": RESET_PATH,
        },
    )


@transaction.atomic
def new_browser_notify_owner(*, audit_event_id: int) -> int:
    event = (
        AuditEvent.objects.filter(pk=audit_event_id, event="signin.succeeded")
        .select_related("user")
        .first()
    )
    if event is None or event.user is None or event.data.get("notified"):
        return 0
    event.data = {**event.data, "notified": True}
    event.save(update_fields=["data"])
    return _notify(
        user=event.user,
        kind="signin_new_browser",
        context={
            "signed_in_at": event.created_at,
            "ip": event.ip or "",
            "browser": browser_label(event.user_agent),
            "reset_path": RESET_PATH,
        },
    )


def password_reminders_send(*, now=None) -> int:
    """Reminders 14, 7 and 1 days before a password expires (PASSWORD_MAX_AGE_DAYS > 0)."""
    max_age = conf.password_max_age()
    if max_age is None:
        return 0
    now = now or timezone.now()
    sent = 0
    users = User.objects.filter(is_active=True).annotate(
        set_at=Coalesce(F("password_changed_at"), F("date_joined"), output_field=DateTimeField())
    )
    for days in sorted(conf.get("SIGNIN_PASSWORD_REMINDER_DAYS"), reverse=True):
        # Due: the password expires within ``days`` days (and has not expired yet).
        due = users.filter(
            set_at__lte=now - max_age + timedelta(days=days), set_at__gt=now - max_age
        )
        for user in due.iterator():
            sent += _reminder_send(user=user, days=days, now=now, max_age=max_age)
    return sent


@transaction.atomic
def _reminder_send(*, user, days: int, now, max_age: timedelta) -> int:
    set_at = user.set_at
    already = ExpiryReminder.objects.filter(user=user, password_set_at=set_at)
    if already.filter(days_before__lte=days).exists():
        return 0  # this one or a later (closer) one went out already
    ExpiryReminder.objects.create(user=user, password_set_at=set_at, days_before=days, sent_at=now)
    expires_at = set_at + max_age
    days_left = max(1, round((expires_at - now) / timedelta(days=1)))
    _notify(
        user=user,
        kind="password_expiry_reminder",
        context={"expires_at": expires_at, "days_left": days_left},
    )
    return 1
