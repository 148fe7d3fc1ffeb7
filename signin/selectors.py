"""Reads on sign-in state: lock status for other apps (tickets, the lock-status API) and the admin;
the records of signed-in sessions for the security page (``accounts.sessions`` names them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from portal.browsers import summary
from signin import conf
from signin.identity import identity_resolve
from signin.lockout import reference_normalize
from signin.models import FailureCounter, Lock, Scope, UserSession


@dataclass(frozen=True)
class LockStatus:
    locked: bool
    locked_until: datetime | None
    reference: str | None
    failures: int
    locked_since: datetime | None
    username: str = ""  # the account's username, or what was typed when no account matches


def lock_status(*, username: str) -> LockStatus:
    """The account lock for whatever was typed (username, email, phone; unknown names too).

    A lock of one known browser only is not an account lock; see ``lock_find_by_reference``.
    """
    identity = identity_resolve(typed=username)
    name = identity.user.get_username() if identity.user else identity.typed
    if not identity.key:
        return LockStatus(False, None, None, 0, None, name)
    row = (
        FailureCounter.objects.filter(scope=Scope.ACCOUNT, key=identity.key, browser="")
        .select_related("lock")
        .first()
    )
    return _status(row, name=name)


def _status(row: FailureCounter | None, *, name: str) -> LockStatus:
    now = timezone.now()
    if row is None:
        return LockStatus(False, None, None, 0, None, name)
    if row.locked_until and row.locked_until > now and row.lock is not None:
        lock = row.lock
        return LockStatus(
            True, lock.locked_until, lock.reference, row.failures, lock.locked_at, name
        )
    failures = row.failures
    if row.locked_until or (row.last_failure_at and row.last_failure_at <= now - conf.cooloff()):
        failures = 0  # the lock or the run is over; the next attempt starts afresh
    return LockStatus(False, None, None, failures, None, name)


def lock_find_by_reference(*, reference: str) -> LockStatus | None:
    """The account (or known-browser) lock with this reference, current or past; None when the
    reference is unknown or names an IP block. ``username`` says whose it is."""
    normalized = reference_normalize(reference)
    if not normalized:
        return None
    lock = (
        Lock.objects.filter(reference=normalized, scope__in=[Scope.ACCOUNT, Scope.BROWSER])
        .select_related("user")
        .first()
    )
    if lock is None:
        return None
    active = lock.is_active()
    return LockStatus(
        locked=active,
        locked_until=lock.locked_until if active else None,
        reference=lock.reference,
        failures=lock.failures,
        locked_since=lock.locked_at,
        username=lock.user.get_username() if lock.user else lock.username,
    )


def lock_get(*, reference: str) -> Lock | None:
    normalized = reference_normalize(reference)
    return Lock.objects.filter(reference=normalized).first() if normalized else None


def locks_active(*, now: datetime | None = None) -> QuerySet[Lock]:
    return Lock.objects.filter(locks_active_q(now=now))


# An account is locked for its unknown browsers (``ACCOUNT``) or for one of its known browsers
# (``BROWSER``, the owner's own mistyping): both are "locked accounts" to an agent; IPs are not.
ACCOUNT_SCOPES = (Scope.ACCOUNT, Scope.BROWSER)
LOCK_STORM_EVENT = "signin.lock_storm"


def locks_active_q(*, now: datetime | None = None) -> Q:
    """What ``locks_active`` selects, for the admin's filter and the agents' desk."""
    return Q(ended_at__isnull=True, locked_until__gt=now or timezone.now())


def locks_of_accounts_q() -> Q:
    return Q(scope__in=ACCOUNT_SCOPES)


def locks_started_since(*, since: datetime) -> QuerySet[Lock]:
    return Lock.objects.filter(locked_at__gte=since)


def lock_storms_since(*, since: datetime) -> QuerySet[AuditEvent]:
    """The lock storms (``signin.lock_storm`` audit rows) since ``since``."""
    return AuditEvent.objects.filter(event=LOCK_STORM_EVENT, created_at__gte=since)


def locks_ran_out(*, now: datetime | None = None) -> QuerySet[Lock]:
    """Locks whose time is over but whose end nobody has recorded yet (the sweep's work)."""
    now = now or timezone.now()
    return Lock.objects.filter(ended_at__isnull=True, locked_until__lte=now).order_by(
        "locked_until"
    )


# --- Signed-in sessions, for the security page -----------------------------------------------
def sessions_open_for_user(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")


@dataclass(frozen=True)
class SignInRow:
    at: datetime
    ip: str | None
    browser: str
    known_browser: bool
    current: bool
    open: bool
    session_key: str


def signins_recent_for_user(
    *, user: User, current_session_key: str | None = None, limit: int = 10
) -> list[SignInRow]:
    """The last sign-ins (one per session the sign-in created), newest first."""
    rows = UserSession.objects.filter(user=user).order_by("-created_at")[:limit]
    return [
        SignInRow(
            at=row.created_at,
            ip=row.ip,
            browser=summary(row.user_agent),  # in the reader's language
            known_browser=row.known_browser,
            current=bool(current_session_key) and row.session_key == current_session_key,
            open=row.ended_at is None,
            session_key=row.session_key,
        )
        for row in rows
    ]
