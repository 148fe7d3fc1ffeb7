"""The lockout counters: check, count, lock. Atomic on PostgreSQL.

Every password (or second-step code) check is counted *before* the hash runs: ``attempt_begin``
counts it on the client IP (``ip_hit`` below, in the shared cache; a browser the account knows,
which the IP's limit never stops, only when it fails) and on the account's (or known browser's)
counter row, and refuses when either is locked or already at its limit. The hash runs after
that short transaction. A right password gives its count back (``attempt_release``); a wrong one
keeps it and, when it was the limit-th, starts the lock (``attempt_fail``).

So concurrent wrong passwords for one account are serialised on its counter row: exactly
``LOCKOUT_FAILURE_LIMIT`` of them reach the hasher, the rest are refused unhashed (the documented
slack is 0). Attempts that arrive while the last allowed ones are still being checked are refused
as plain failures (no lock exists yet: the last one may still be right). An attempt whose process
dies between counting and finishing stays counted as a failure, which errs on the safe side.

An attempt refused unchecked (locked, or the limit's last attempts in flight) is counted against
the client IP like a failure: an IP that keeps hammering a locked name reaches the IP's block.
A password's failure is also counted on what was typed (``signin.typed_counter``): the page's
warning reads that, never the account's counter.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from portal import limits
from portal.net import browser_label
from signin import conf
from signin.attempt import Counted, Refusal, Refused, refusal_decide
from signin.db import bookkeeping
from signin.identity import Identity
from signin.models import FailureCounter, Lock, Scope
from signin.typed_counter import typed_count

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
MAX_SOURCES = 20


# --- The client IP's limit ----------------------------------------------------------------
# LOCKOUT_IP_FAILURE_LIMIT failures from one client IP, across any usernames, within the cool-off
# block that IP for the cool-off. The window slides in halves (portal.limits, two fixed buckets
# one cool-off long: this one and the one before), so a burst split across an edge still counts.
# Networks in LOCKOUT_TRUSTED_NETWORKS are never counted or blocked (offices behind one NAT
# address). A block is also a Lock row (scope ip) with a reference, so agents see and lift it.
# A store that does not answer: an attempt is neither counted nor refused on its IP (one warning
# line; the account counters, in the database, still lock); starting or lifting a block answers
# the 503 "try again in a minute" page.
IP_BLOCK = limits.Block("signin:ip-block")


def ip_failures() -> limits.Fixed:
    seconds = int(conf.cooloff().total_seconds())
    return limits.Fixed("signin:ip", seconds=seconds, limit=conf.ip_failure_limit(), buckets=2)


def ip_counted(ip: str | None) -> bool:
    return bool(ip) and not conf.is_trusted_network(ip)


def ip_hit(ip: str, *, stop_at_limit: bool) -> limits.Hit:
    """Count one failure of the IP in advance, in one call with its block. When the IP is blocked,
    or (``stop_at_limit``) when the count would pass the limit, nothing is counted: ``refused``."""
    return ip_failures().hit(
        ip,
        stop_at_limit=stop_at_limit,
        blocked_by=IP_BLOCK,
        on_down="the attempt is not counted on its IP",
    )


def ip_block_reference(ip: str | None) -> str | None:
    """The reference of the IP's current block, if any."""
    if not ip_counted(ip):
        return None
    return IP_BLOCK.get(ip, on_down="its block is not applied")


# --- Reading --------------------------------------------------------------------------------
def refusal_check(*, identity: Identity, ip: str | None, browser: str = "") -> Refusal | None:
    """Whether an attempt would be refused now, without counting anything."""
    now = timezone.now()
    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    row = (
        FailureCounter.objects.filter(
            scope=scope, key=identity.key, browser=browser, locked_until__gt=now
        )
        .select_related("lock")
        .first()
    )
    reference = None if browser else ip_block_reference(ip)
    return refusal_decide(
        identity=identity,
        browser=browser,
        scope=scope,
        lock=row.lock if row else None,
        locked_until=row.locked_until if row else None,
        now=now,
        ip_blocked=bool(reference),
        ip_lock=lambda: _lock_by_reference(reference),
    )


def _lock_by_reference(reference: str | None) -> Lock | None:
    return Lock.objects.filter(reference=reference).first() if reference else None


# --- Counting -------------------------------------------------------------------------------
def attempt_begin(
    *,
    identity: Identity,
    ip: str | None,
    browser: str = "",
    door: str = "site",
    typed: bool = False,
    on_refused: Callable[[Refusal], None] | None = None,
) -> Counted:
    """Count one attempt before its check runs, or raise ``Refused`` (then it is counted only
    against the IP, as a failure; ``on_refused`` runs first, inside the same transaction, to
    record the refusal). ``typed``: a password typed at a sign-in door, whose failure also counts
    on what was typed (the page's warning).

    The IP is counted first; a refused IP still lets the account's lock, if any, be the reason
    given. A known browser (``browser``) is counted on its own counter and is not stopped by the
    IP block; the IP counts its failures (and refusals) when they happen. An attempt on a locked
    account is refused after one row read, with the refusal's record (most never get here:
    ``signin.refusals`` refuses them before the account is looked up).
    """
    now = timezone.now()
    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    ip_count = limits.Hit(0, 0, None)
    if _ip_counted_before(ip, browser):  # one cache call, atomic: never more than the limit
        ip_count = ip_hit(ip, stop_at_limit=True)
    number = None
    if not ip_count.refused:
        number = _count_at_once(identity=identity, scope=scope, browser=browser, now=now)
    refusal = None
    if number is None:  # the full path: the row locked, brought up to date, checked, counted
        with bookkeeping():
            row = _row_for_update(scope, identity.key, browser)
            if _roll(row, now):
                row.save(update_fields=ROLL_FIELDS)
            refusal = refusal_decide(
                identity=identity,
                browser=browser,
                scope=scope,
                lock=row.lock,
                locked_until=row.locked_until,
                now=now,
                at_limit=row.failures >= conf.failure_limit(),
                ip_blocked=ip_count.refused,
                ip_lock=lambda: _lock_by_reference(ip_count.block),
            )
            if refusal is not None and refusal.scope != Scope.IP:
                counted = None if browser else ip_count
                ip_block = refusal_ip_count(ip=ip, counted=counted, now=now)
                refusal = replace(refusal, ip_block=ip_block)
            if refusal is not None:
                if on_refused is not None:
                    on_refused(refusal)
            else:
                _count(row, now)
                number = row.failures
    if refusal is not None:
        raise Refused(refusal)
    return Counted(
        identity=identity,
        browser=browser,
        ip=ip,
        ip_number=ip_count.number,
        ip_bucket=ip_count.bucket,
        number=number,
        started_at=now,
        door=door,
        typed_key=identity.typed_key if typed and not browser else "",
    )


def refusal_ip_count(
    *, ip: str | None, counted: limits.Hit | None = None, now: datetime | None = None
) -> Lock | None:
    """An attempt refused unchecked counts against the client IP as a failure: ``counted``, the
    count made in advance, is kept; without one (a known browser; an attempt refused before the
    account was looked up, ``signin.refusals``) it is counted now. Returns the IP's block when
    this count started it."""
    if counted is None:
        if not ip_counted(ip):
            return None
        counted = ip_hit(ip, stop_at_limit=False)
    if counted.block is not None or counted.number < conf.ip_failure_limit():
        return None  # blocked already (read in the same call), or not at the limit yet
    return _ip_block_start(ip=ip, now=now or timezone.now())


COUNT_SQL = """
UPDATE {table} SET
  failures = CASE WHEN failures > 0 AND last_failure_at <= %s THEN 1 ELSE failures + 1 END,
  window_started_at = CASE
    WHEN failures = 0 OR window_started_at IS NULL OR last_failure_at <= %s THEN %s
    ELSE window_started_at END,
  last_failure_at = %s
WHERE scope = %s AND key = %s AND browser = %s AND locked_until IS NULL
  AND (failures < %s OR (failures > 0 AND last_failure_at <= %s))
RETURNING failures
"""


def _count_at_once(*, identity: Identity, scope: str, browser: str, now: datetime) -> int | None:
    """The usual case in one round trip: the counter row exists, is not locked and is below the
    limit (or its run went stale), so it is counted by one conditional ``UPDATE ... RETURNING``
    that is its own transaction (on PostgreSQL concurrent ones queue on the row and each
    re-checks the condition, so no more than the limit get through). Returns the attempt's place
    in the run, or None, with nothing counted, when the full path must decide: no row yet, a
    lock, the limit reached, a lock that ran out; ``_roll`` and ``_count`` there do the same."""
    stale = now - conf.cooloff()
    sql = COUNT_SQL.format(table=connection.ops.quote_name(FailureCounter._meta.db_table))
    params = [stale, stale, now, now, scope, identity.key, browser, conf.failure_limit(), stale]
    with bookkeeping(alone=True), connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row is not None else None


def _ip_counted_before(ip: str | None, browser: str) -> bool:
    """Whether the IP counts this attempt before the check. A browser the account knows is never
    stopped by the IP's limit, so counting it in advance would hold nothing back: its failures
    are counted on the IP when they happen (``attempt_fail``), and a right password costs the
    IP's counter nothing."""
    return not browser and ip_counted(ip)


def attempt_release(*, attempt: Counted, account: bool = True) -> None:
    """The check passed: the attempt was not a failure, give its count back (to the IP only when
    ``account`` is False: a sign-in that completes resets the account's counter anyway)."""
    if account:
        FailureCounter.objects.filter(
            scope=attempt.scope,
            key=attempt.identity.key,
            browser=attempt.browser,
            failures__gt=0,
        ).update(failures=F("failures") - 1)
    if attempt.ip_number:
        ip_failures().give_back(attempt.ip, attempt.ip_bucket, on_down="a count is not given back")


def attempt_fail(*, attempt: Counted) -> list[Lock]:
    """The check failed. Start the account's (or browser's) lock when this was the limit-th
    failure, and the IP's block when the IP reached its limit. Returns the locks started."""
    now = timezone.now()
    if attempt.typed_key:
        attempt.typed_number = typed_count(typed_key=attempt.typed_key, now=now)
    if attempt.browser and ip_counted(attempt.ip):
        ip_count = ip_hit(attempt.ip, stop_at_limit=False)
        attempt.ip_number, attempt.ip_bucket = ip_count.number, ip_count.bucket
    if attempt.ip_number >= conf.ip_failure_limit():
        lock = _ip_block_start(ip=attempt.ip, now=now)
        if lock is not None:
            attempt.locks.append(lock)
    if attempt.number >= conf.failure_limit():
        with bookkeeping():
            row = _row_for_update(attempt.scope, attempt.identity.key, attempt.browser)
            if not row.locked_until:
                attempt.locks.append(_lock_start(row, attempt=attempt, now=now))
    return attempt.locks


def ip_failure_record(*, ip: str | None, identity: Identity) -> Refusal | None:
    """A submission refused for its input (no password was checked) still counts against the
    client IP. Returns the IP's block when the IP is (now) blocked."""
    if not ip_counted(ip):
        return None
    ip_count = ip_hit(ip, stop_at_limit=True)
    lock = _lock_by_reference(ip_count.block)
    if ip_count.number >= conf.ip_failure_limit():
        lock = _ip_block_start(ip=ip, now=timezone.now()) or lock
    return Refusal(identity=identity, scope=Scope.IP, lock=lock) if lock else None


def _ip_block_start(*, ip: str, now: datetime) -> Lock | None:
    """Block the IP for the cool-off; None when a concurrent attempt already did."""
    minutes = conf.cooloff_minutes()
    reference = _new_reference()
    until = now + timezone.timedelta(minutes=minutes)
    if not IP_BLOCK.claim(ip, reference, until=until, clears=ip_failures()):
        return None
    since = now - 2 * conf.cooloff()
    return _lock_create(
        reference=reference,
        scope=Scope.IP,
        key=ip,
        ip=ip,
        locked_at=now,
        locked_until=until,
        minutes=minutes,
        failures=conf.ip_failure_limit(),
        sources=_sources(scope=Scope.IP, key=ip, since=since),
    )


COUNTER_RESET_SQL = """
UPDATE {table} SET failures = 0, window_started_at = NULL
WHERE scope = %s AND key = %s AND browser = %s AND locked_until IS NULL AND failures > 0
"""


def counter_reset_statement(*, identity: Identity, browser: str = "") -> tuple[str, list]:
    """The statement that starts a completed sign-in's counter again (a lock stays), to be sent
    with the sign-in's other records (``portal.db.run_together``)."""
    scope = Scope.BROWSER if browser else Scope.ACCOUNT
    table = connection.ops.quote_name(FailureCounter._meta.db_table)
    return COUNTER_RESET_SQL.format(table=table), [scope, identity.key, browser]


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


ROLL_FIELDS = ["locked_until", "lock", "failures", "window_started_at"]


def _roll(row: FailureCounter, now: datetime) -> bool:
    """Bring a row up to date: a lock that ran out ends the run; a run with no failure for the
    cool-off starts again. Returns whether the row changed (the caller saves it)."""
    if row.locked_until is not None:
        if row.locked_until > now:
            return False
        row.locked_until = None
        row.lock = None
        row.failures = 0
        row.window_started_at = None
        return True
    if row.failures and row.last_failure_at and row.last_failure_at <= now - conf.cooloff():
        row.failures = 0
        row.window_started_at = None
        return True
    return False


def _count(row: FailureCounter, now: datetime) -> None:
    if row.failures == 0 or row.window_started_at is None:
        row.window_started_at = now
    row.failures += 1
    row.last_failure_at = now
    row.save(update_fields=["failures", "window_started_at", "last_failure_at"])


def _lock_start(row: FailureCounter, *, attempt: Counted, now: datetime) -> Lock:
    minutes = conf.cooloff_minutes()
    recent = row.last_lock_ended_at and row.last_lock_ended_at > now - conf.recurrence_window()
    if recent and row.last_lock_minutes:
        minutes = max(minutes, row.last_lock_minutes * 2)
    minutes = min(minutes, int(conf.lock_max().total_seconds() // 60))
    until = now + timezone.timedelta(minutes=minutes)
    lock = _lock_create(
        reference=_new_reference(),
        scope=row.scope,
        key=row.key,
        username=attempt.identity.typed,
        typed_key=attempt.identity.typed_key,
        user=attempt.identity.user,
        browser=row.browser,
        locked_at=now,
        locked_until=until,
        minutes=minutes,
        failures=row.failures,
        sources=_sources(scope=row.scope, key=row.key, since=row.window_started_at or now),
    )
    row.lock = lock
    row.locked_until = until
    row.last_lock_minutes = minutes
    row.last_lock_ended_at = until
    row.save(update_fields=["lock", "locked_until", "last_lock_minutes", "last_lock_ended_at"])
    return lock


def _new_reference() -> str:
    return "LK-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(5))


def _lock_create(*, reference: str, **fields) -> Lock:
    """Create the lock row; another reference is drawn if (rarely) this one is taken."""
    for _try in range(8):
        try:
            with transaction.atomic():
                return Lock.objects.create(reference=reference, **fields)
        except IntegrityError:
            reference = _new_reference()
            if fields.get("scope") == Scope.IP:
                IP_BLOCK.set(fields["key"], reference, until=fields["locked_until"])
    raise RuntimeError("could not find a free lock reference")


def _sources(*, scope: str, key: str, since: datetime) -> list[dict]:
    """The IPs and browsers behind a run of failures, from axes' attempt records."""
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(attempt_time__gte=since)
    if scope == Scope.IP:
        attempts = attempts.filter(ip_address=key)
    else:
        attempts = attempts.filter(username=key)
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
