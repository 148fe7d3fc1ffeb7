"""The lockout counters: check, count, lock. Atomic on PostgreSQL.

Every password (or second-step code) check is counted *before* the hash runs: ``attempt_begin``
locks the client IP's counter row and then the account's (or known browser's) counter row with
``SELECT ... FOR UPDATE``, refuses when either is locked, and otherwise adds one to both. The hash
runs after that short transaction. A right password gives its count back (``attempt_release``); a
wrong one keeps it and, when it was the limit-th, starts the lock (``attempt_fail``).

So concurrent wrong passwords for one account are serialised on its counter row: exactly
``LOCKOUT_FAILURE_LIMIT`` of them reach the hasher, the rest are refused unhashed (the documented
slack is 0). An attempt whose process dies between counting and finishing stays counted as a
failure, which errs on the safe side.

Rows are always locked in the same order (IP first, then the account), so two attempts never wait
on each other in a cycle.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from signin import conf
from signin.identity import Identity
from signin.models import FailureCounter, Lock, Scope

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
MAX_SOURCES = 20


@dataclass
class Attempt:
    """One counted attempt (password or code) in flight."""

    identity: Identity
    browser: str  # known-browser ID, "" for a browser the account does not know
    ip: str | None
    ip_counted: bool
    number: int  # this attempt's place in the account's (or browser's) run of failures
    started_at: datetime
    door: str = "site"
    locks: list[Lock] = field(default_factory=list)  # locks this attempt started

    @property
    def scope(self) -> str:
        return Scope.BROWSER if self.browser else Scope.ACCOUNT

    @property
    def attempts_left(self) -> int:
        return max(conf.failure_limit() - self.number, 0)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused before any hashing. ``lock`` is None when the account's last
    allowed attempts are still being checked by concurrent requests (no lock exists yet)."""

    identity: Identity
    scope: str
    lock: Lock | None

    @property
    def reference(self) -> str | None:
        return self.lock.reference if self.lock else None

    @property
    def locked_until(self) -> datetime | None:
        return self.lock.locked_until if self.lock else None


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.scope)
        self.refusal = refusal


# --- Reading --------------------------------------------------------------------------------
def refusal_check(*, identity: Identity, ip: str | None, browser: str = "") -> Refusal | None:
    """Whether an attempt would be refused now, without counting anything."""
    now = timezone.now()
    rows = {
        (row.scope, row.key, row.browser): row
        for row in FailureCounter.objects.filter(
            _row_filter(identity=identity, ip=ip, browser=browser), locked_until__gt=now
        ).select_related("lock")
    }
    if ip and not browser and not conf.is_trusted_network(ip):
        row = rows.get((Scope.IP, ip, ""))
        if row is not None:
            return Refusal(identity=identity, scope=Scope.IP, lock=row.lock)
    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    row = rows.get((scope, identity.key, browser))
    if row is not None:
        return Refusal(identity=identity, scope=scope, lock=row.lock)
    return None


def _row_filter(*, identity: Identity, ip: str | None, browser: str):
    from django.db.models import Q

    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    query = Q(scope=scope, key=identity.key, browser=browser)
    if ip:
        query |= Q(scope=Scope.IP, key=ip, browser="")
    return query


# --- Counting -------------------------------------------------------------------------------
def attempt_begin(
    *, identity: Identity, ip: str | None, browser: str = "", door: str = "site"
) -> Attempt:
    """Count one attempt before its check runs, or raise ``Refused`` (nothing is counted then).

    A known browser (``browser``) is counted on its own counter and is not stopped by the IP
    block; the IP still counts its failures.
    """
    now = timezone.now()
    limit = conf.failure_limit()
    count_ip = bool(ip) and not conf.is_trusted_network(ip)
    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    with transaction.atomic():
        ip_row = _row_for_update(Scope.IP, ip, "") if count_ip else None
        if ip_row is not None:
            _roll(ip_row, now)
            if not browser and (ip_row.locked_until or ip_row.failures >= conf.ip_failure_limit()):
                raise Refused(Refusal(identity=identity, scope=Scope.IP, lock=ip_row.lock))
        row = _row_for_update(scope, identity.key, browser)
        _roll(row, now)
        if row.locked_until or row.failures >= limit:
            raise Refused(Refusal(identity=identity, scope=scope, lock=row.lock))
        _count(row, now)
        if ip_row is not None:
            _count(ip_row, now)
    return Attempt(
        identity=identity,
        browser=browser,
        ip=ip,
        ip_counted=ip_row is not None,
        number=row.failures,
        started_at=now,
        door=door,
    )


def attempt_release(*, attempt: Attempt) -> None:
    """The check passed: the attempt was not a failure, give its count back."""
    with transaction.atomic():
        FailureCounter.objects.filter(
            scope=attempt.scope, key=attempt.identity.key, browser=attempt.browser, failures__gt=0
        ).update(failures=F("failures") - 1)
        if attempt.ip_counted:
            FailureCounter.objects.filter(
                scope=Scope.IP, key=attempt.ip, browser="", failures__gt=0
            ).update(failures=F("failures") - 1)


def attempt_fail(*, attempt: Attempt) -> list[Lock]:
    """The check failed. Start the account's (or browser's) lock when this was the limit-th
    failure, and the IP's block when the IP reached its limit. Returns the locks started."""
    now = timezone.now()
    with transaction.atomic():
        if attempt.ip_counted:
            ip_row = _row_for_update(Scope.IP, attempt.ip, "")
            if not ip_row.locked_until and ip_row.failures >= conf.ip_failure_limit():
                attempt.locks.append(_lock_start(ip_row, attempt=attempt, now=now))
        if attempt.number >= conf.failure_limit():
            row = _row_for_update(attempt.scope, attempt.identity.key, attempt.browser)
            if not row.locked_until:
                attempt.locks.append(_lock_start(row, attempt=attempt, now=now))
    return attempt.locks


def ip_failure_record(*, ip: str | None, identity: Identity) -> Refusal | None:
    """A submission refused for its input (no password was checked) still counts against the
    client IP. Returns the IP's block when the IP is (now) blocked."""
    if not ip or conf.is_trusted_network(ip):
        return None
    now = timezone.now()
    with transaction.atomic():
        row = _row_for_update(Scope.IP, ip, "")
        _roll(row, now)
        if not row.locked_until:
            _count(row, now)
            if row.failures >= conf.ip_failure_limit():
                attempt = Attempt(identity, "", ip, True, 0, now)
                _lock_start(row, attempt=attempt, now=now)
        return Refusal(identity=identity, scope=Scope.IP, lock=row.lock) if row.lock else None


def counter_reset(*, identity: Identity, browser: str = "") -> None:
    """A completed sign-in: the counter it was counted on starts again (a lock stays)."""
    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    FailureCounter.objects.filter(
        scope=scope, key=identity.key, browser=browser, locked_until__isnull=True, failures__gt=0
    ).update(failures=0, window_started_at=None)


def _row_for_update(scope: str, key: str, browser: str) -> FailureCounter:
    queryset = FailureCounter.objects.select_for_update(of=("self",)).select_related("lock")
    try:
        return queryset.get(scope=scope, key=key, browser=browser)
    except FailureCounter.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return FailureCounter.objects.create(scope=scope, key=key, browser=browser)
    except IntegrityError:  # created concurrently: wait for it
        return queryset.get(scope=scope, key=key, browser=browser)


def _roll(row: FailureCounter, now: datetime) -> None:
    """Bring a row up to date: a lock that ran out ends the run; a run with no failure for the
    cool-off (per IP: a window older than the cool-off) starts again."""
    if row.locked_until is not None:
        if row.locked_until > now:
            return
        row.locked_until = None
        row.lock = None
        row.failures = 0
        row.window_started_at = None
        row.save(update_fields=["locked_until", "lock", "failures", "window_started_at"])
        return
    anchor = row.window_started_at if row.scope == Scope.IP else row.last_failure_at
    if row.failures and anchor is not None and anchor <= now - conf.cooloff():
        row.failures = 0
        row.window_started_at = None


def _count(row: FailureCounter, now: datetime) -> None:
    if row.failures == 0 or row.window_started_at is None:
        row.window_started_at = now
    row.failures += 1
    row.last_failure_at = now
    row.save(update_fields=["failures", "window_started_at", "last_failure_at"])


def _lock_start(row: FailureCounter, *, attempt: Attempt, now: datetime) -> Lock:
    minutes = conf.cooloff_minutes()
    recent = row.last_lock_ended_at and row.last_lock_ended_at > now - conf.recurrence_window()
    if recent and row.last_lock_minutes:
        minutes = max(minutes, row.last_lock_minutes * 2)
    minutes = min(minutes, int(conf.lock_max().total_seconds() // 60))
    until = now + timezone.timedelta(minutes=minutes)
    is_ip = row.scope == Scope.IP
    lock = _lock_create(
        scope=row.scope,
        key=row.key,
        username="" if is_ip else attempt.identity.typed,
        user=None if is_ip else attempt.identity.user,
        browser=row.browser,
        ip=attempt.ip if is_ip else None,
        locked_at=now,
        locked_until=until,
        minutes=minutes,
        failures=row.failures,
        sources=_sources(row, since=row.window_started_at or now),
    )
    row.lock = lock
    row.locked_until = until
    row.last_lock_minutes = minutes
    row.last_lock_ended_at = until
    row.save(update_fields=["lock", "locked_until", "last_lock_minutes", "last_lock_ended_at"])
    return lock


def _lock_create(**fields) -> Lock:
    for _try in range(8):
        reference = "LK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))
        try:
            with transaction.atomic():
                return Lock.objects.create(reference=reference, **fields)
        except IntegrityError:
            continue
    raise RuntimeError("could not find a free lock reference")


def _sources(row: FailureCounter, *, since: datetime) -> list[dict]:
    """The IPs and browsers behind a run of failures, from axes' attempt records."""
    from axes.models import AccessAttempt

    from portal.net import browser_label

    attempts = AccessAttempt.objects.filter(attempt_time__gte=since)
    attempts = (
        attempts.filter(ip_address=row.key)
        if row.scope == Scope.IP
        else attempts.filter(username=row.key)
    )
    return [
        {
            "ip": a.ip_address,
            "browser": browser_label(a.user_agent),
            "failures": a.failures_since_start,
            "last": a.attempt_time.isoformat(),
        }
        for a in attempts.order_by("-attempt_time")[:MAX_SOURCES]
    ]


def reference_normalize(value: str) -> str:
    """``lk-7f3q2``, ``7F3Q2`` and `` LK-7F3Q2 `` all mean ``LK-7F3Q2``."""
    cleaned = "".join(ch for ch in (value or "") if ch.isalnum()).upper()
    if cleaned.startswith("LK"):
        cleaned = cleaned[2:]
    return f"LK-{cleaned}" if len(cleaned) == 5 else ""
