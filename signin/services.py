"""Writes on sign-in: what happens after each attempt, locks ending, sign-out.

Keyword-only, typed, atomic. Every event writes an audit row in the same transaction; messages and
signals go out after commit (``signin.tasks``, ``signin.signals``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from axes.models import AccessAttempt
from django.db import transaction
from django.db.models import Case, F, Value, When
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_build, audit_record
from portal.db import insert_statement, run_together, update_by_pk_statement
from portal.net import client_ip, user_agent
from portal.tasks import task_enqueue_on_commit
from signin import browsers, conf, lockout
from signin.attempt import Attempt, Counted, Refusal, Refused, attempt_of, door_of
from signin.db import bookkeeping
from signin.identity import Identity, identity_for_user, identity_resolve
from signin.lockout import (
    attempt_begin,
    attempt_fail,
    attempt_release,
    counter_reset_statement,
    ip_failure_record,
    refusal_ip_count,
)
from signin.models import FailureCounter, Lock, Scope, UnlockHow, UserSession
from signin.selectors import locks_active, locks_ran_out
from signin.session_records import session_record_statement
from signin.signals import account_locked, account_unlocked
from signin.typed_counter import typed_counts_end, typed_keys_of

log = logging.getLogger(__name__)

SESSION_SIGNED_IN_AT = "signin.at"
SESSION_LAST_SEEN = "signin.seen"


# --- After an attempt -----------------------------------------------------------------------
def signin_failed(*, request: HttpRequest, typed: str | None) -> None:
    """A failed ``authenticate()`` (or second-step code): record it, lock when due, audit it.

    The attempt was counted by the backend before its check ran; attempts refused while locked
    are audited (by the gate, in its transaction) but never counted, so they never extend a lock.
    """
    attempt = attempt_of(request)
    if attempt.finalized:
        return
    attempt.finalized = True
    if attempt.refusal is not None and attempt.refusal_recorded:
        return  # nothing left to write
    with bookkeeping():
        _failure_record(request=request, attempt=attempt, typed=typed)


def _failure_record(*, request: HttpRequest, attempt: Attempt, typed: str | None) -> None:
    counted = attempt.counted
    reason = attempt.reason or "bad_password"
    identity = attempt.identity or identity_resolve(typed=typed)
    if attempt.refusal is not None:
        refusal_record(request=request, refusal=attempt.refusal)
        return
    if counted is None:
        if reason == "bad_input" or not identity.key:
            refusal = ip_failure_record(ip=client_ip(request), identity=identity)
            _audit_attempt(request=request, identity=identity, reason="bad_input", counted=None)
            if refusal is not None:
                attempt.refuse(refusal)
            return
        try:  # a failure no backend counted (a custom call to authenticate())
            counted = attempt_begin(
                identity=identity,
                ip=client_ip(request),
                browser=browsers.known_browser_id(request, identity.user),
            )
        except Refused as refused:
            refusal_record(request=request, refusal=refused.refusal)
            if refused.refusal.lock is not None:
                attempt.refuse(refused.refusal)
            return
        attempt.counted = counted
    _axes_attempt_record(request=request, counted=counted)
    locks = attempt_fail(attempt=counted)
    _audit_attempt(request=request, identity=identity, reason=reason, counted=counted)
    for lock in locks:
        _lock_started(request=request, lock=lock)
        if lock.scope != Scope.IP or not counted.browser:
            attempt.refuse(Refusal(identity=identity, scope=lock.scope, lock=lock))


def refusal_record(*, request: HttpRequest, refusal: Refusal) -> None:
    """Audit an attempt refused unchecked (locked, or the limit's last attempts in flight), and
    the IP's block when counting the refusal against the IP started it."""
    attempt_of(request).refusal_recorded = True
    if refusal.ip_block is not None:
        _lock_started(request=request, lock=refusal.ip_block)
    identity = refusal.identity
    audit_record(
        event="signin.refused",
        request=request,
        user=identity.user,
        subject=identity.typed,
        data={
            "door": door_of(request),
            "scope": refusal.scope,
            "reference": refusal.reference or "",
            "locked_until": refusal.locked_until.isoformat() if refusal.locked_until else "",
        },
    )


def refusal_ip_record(*, request: HttpRequest) -> None:
    """Count an attempt refused before its account was looked up (``signin.refusals``) against
    the client IP, as a failure; at the IP's limit, block it (audited)."""
    ip = client_ip(request)
    if not lockout.ip_counted(ip):
        return
    counted = lockout.ip_hit(ip, stop_at_limit=False)
    if counted.block is None and counted.number >= conf.ip_failure_limit():
        with bookkeeping():
            block = refusal_ip_count(ip=ip, counted=counted)
            if block is not None:
                _lock_started(request=request, lock=block)


def _audit_attempt(
    *, request: HttpRequest, identity: Identity, reason: str, counted: Counted | None
) -> None:
    audit_record(
        event="signin.failed",
        request=request,
        user=identity.user,
        subject=identity.typed,
        data={
            "door": door_of(request),
            "reason": reason,
            "failure": counted.number if counted else 0,
            "limit": conf.failure_limit(),
            "known_browser": bool(counted and counted.browser),
        },
    )


def _axes_attempt_record(*, request: HttpRequest, counted: Counted) -> None:
    """axes' per (account, IP, browser) record: the admin's "IPs and browsers involved". A record
    idle for the cool-off starts counting again (a sign-in does not delete it; the scheduled
    cleanup does, after the retention)."""
    ua = user_agent(request)
    now = timezone.now()
    updated = AccessAttempt.objects.filter(
        username=counted.identity.key, ip_address=counted.ip, user_agent=ua
    ).update(
        failures_since_start=Case(
            When(attempt_time__lte=now - conf.cooloff(), then=Value(1)),
            default=F("failures_since_start") + 1,
        ),
        attempt_time=now,
        path_info=request.path[:255],
    )
    if not updated:
        AccessAttempt.objects.get_or_create(
            username=counted.identity.key,
            ip_address=counted.ip,
            user_agent=ua,
            defaults={
                "get_data": "",
                "post_data": "",
                "http_accept": request.META.get("HTTP_ACCEPT", "")[:1025],
                "path_info": request.path[:255],
                "failures_since_start": 1,
            },
        )


def _lock_started(*, request: HttpRequest | None, lock: Lock) -> None:
    # Imported here: signin.tasks imports this module (the lock sweep runs locks_expire).
    from signin import tasks

    event = "signin.ip_blocked" if lock.scope == Scope.IP else "signin.locked"
    audit_record(
        event=event,
        request=request,
        user=lock.user,
        subject=lock.username or lock.key,
        data={
            "reference": lock.reference,
            "scope": lock.scope,
            "failures": lock.failures,
            "minutes": lock.minutes,
            "locked_until": lock.locked_until.isoformat(),
        },
    )
    if lock.scope == Scope.IP:
        return
    # Queued for unknown names too, so a lock costs the same whether the account exists.
    task_enqueue_on_commit(tasks.lock_notify, lock.pk, inline_if_broker_down=True)
    username = lock.user.get_username() if lock.user else lock.username
    transaction.on_commit(
        lambda: _send(
            account_locked,
            username=username,
            user=lock.user,
            reference=lock.reference,
            locked_until=lock.locked_until,
        )
    )


def _send(signal, **kwargs) -> None:
    for receiver, result in signal.send_robust(sender=Lock, **kwargs):
        if isinstance(result, Exception):
            log.error("signin: receiver %s of a lock signal failed: %r", receiver, result)


@bookkeeping()
def signin_succeeded(*, request: HttpRequest, user) -> None:
    """After ``login()`` (either door): the counter starts again, ``last_login`` is set, the
    session is registered, the sign-in audited, the browser becomes known, and a browser new to
    the account triggers a "new sign-in" notice. (axes' own sign-in log is off: the audit row and
    the session record hold the same facts.) The writes (with a new session's row,
    ``signin.sessions``) need none of each other's results, so they go to the database as one
    message (``portal.db``); Django's own ``last_login`` update is disconnected for that
    (``signin.apps``)."""
    # Imported here: signin.tasks imports this module (the lock sweep runs locks_expire).
    from signin import tasks

    identity = identity_for_user(user=user)
    browser = browsers.known_browser_id(request, user)
    attempt = attempt_of(request)
    if attempt.unreleased is not None:
        attempt_release(attempt=attempt.unreleased, account=False)
        attempt.unreleased = None
    now = timezone.now()
    user.last_login = now
    request.session[SESSION_SIGNED_IN_AT] = int(now.timestamp())
    request.session[SESSION_LAST_SEEN] = int(now.timestamp())
    event = audit_build(
        event="signin.succeeded",
        request=request,
        actor=user,
        user=user,
        subject=user.get_username(),
        data={
            "door": door_of(request),
            "known_browser": bool(browser),
            "second_step": attempt.second_step,
        },
    )
    session_row = getattr(request.session, "new_row_statement", lambda: None)()
    statements = [
        counter_reset_statement(identity=identity, browser=browser),
        update_by_pk_statement(type(user), user.pk, last_login=now),
        session_record_statement(request=request, user=user, known_browser=bool(browser)),
        *([session_row] if session_row else []),
        insert_statement(event, returning_pk=True),
    ]
    ((event.pk,),) = run_together(statements)
    if session_row:
        request.session.new_row_sent()
    typed = attempt.identity.typed if getattr(attempt.identity, "user", None) == user else ""
    attempt.known_browser_cookie = browsers.cookie_value_after_signin(request, user, typed)
    if not browser:
        task_enqueue_on_commit(tasks.new_browser_notify, event.pk, inline_if_broker_down=True)


@bookkeeping()
def signout_record(*, request: HttpRequest, user, reason: str = "signed_out") -> None:
    """Before a session ends (sign-out, idle or absolute timeout): close its records, audit."""
    now = timezone.now()
    key = getattr(getattr(request, "session", None), "session_key", None)
    if user is None or not getattr(user, "pk", None):
        return
    if key:
        UserSession.objects.filter(session_key=key, ended_at__isnull=True).update(ended_at=now)
    audit_record(
        event="signin.signed_out" if reason == "signed_out" else "signin.session_expired",
        request=request,
        actor=user if reason == "signed_out" else None,
        user=user,
        subject=user.get_username(),
        data={"reason": reason},
    )


# --- Ending locks ---------------------------------------------------------------------------
UNLOCK_HOWS = {UnlockHow.MANUAL, UnlockHow.RESET}


@transaction.atomic
def lock_clear(
    *,
    username: str,
    how: str,
    actor=None,
    request: HttpRequest | None = None,
    reason: str = "",
) -> bool:
    """Lift the lock of an account (and of its known browsers) now and clear its counters and
    axes' records. ``how``: ``"manual"`` (an agent; the owner is told) or ``"reset"`` (a
    successful password reset). ``reason``: the agent's written reason, kept in the audit row.
    Returns whether a lock was active."""
    from axes.handlers.proxy import AxesProxyHandler

    # Imported here: signin.tasks imports this module (the lock sweep runs locks_expire).
    from signin import tasks

    if how not in UNLOCK_HOWS:
        raise ValueError(f"lock_clear: how must be 'manual' or 'reset', not {how!r}")
    identity = identity_resolve(typed=username)
    if not identity.key:
        return False
    now = timezone.now()
    scopes = [Scope.ACCOUNT, Scope.BROWSER]
    active = locks_active(now=now).filter(scope__in=scopes)
    keys = {identity.key}
    if identity.user is not None:  # locked under a username it had before a rename, too
        keys.update(active.filter(user=identity.user).values_list("key", flat=True))
    rows = list(
        FailureCounter.objects.select_for_update()
        .filter(key__in=sorted(keys), scope__in=scopes)
        .order_by("pk")
    )
    for row in rows:
        if row.locked_until and row.locked_until > now:
            row.last_lock_ended_at = now
        row.failures = 0
        row.window_started_at = None
        row.locked_until = None
        row.lock = None
        row.save()
    locks = list(active.select_for_update(of=("self",)).filter(key__in=keys).select_related("user"))
    typed_keys = {identity.typed_key, *(lock.typed_key for lock in locks)}
    typed_counts_end(
        typed_keys=typed_keys | (typed_keys_of(identity.user) if identity.user else set())
    )
    Lock.objects.filter(pk__in=[lock.pk for lock in locks]).update(
        ended_at=now, ended_how=how, ended_by=actor if getattr(actor, "pk", None) else None
    )
    for key in sorted(keys):
        AxesProxyHandler.reset_attempts(username=key)
    if not locks:
        return False
    user = identity.user or locks[0].user
    audit_record(
        event="signin.unlocked",
        request=request,
        actor=actor,
        user=user,
        subject=user.get_username() if user else identity.typed,
        data={
            "how": how,
            "references": [lock.reference for lock in locks],
            **({"reason": reason[:500]} if reason else {}),
        },
    )
    if how == UnlockHow.MANUAL and user is not None:
        lock_id = locks[0].pk
        task_enqueue_on_commit(tasks.unlock_notify, lock_id, inline_if_broker_down=True)
    name = user.get_username() if user else identity.typed
    transaction.on_commit(lambda: _send(account_unlocked, username=name, user=user, how=how))
    return True


@transaction.atomic
def ip_block_clear(
    *, lock: Lock, actor, request: HttpRequest | None = None, reason: str = ""
) -> bool:
    """An agent lifts the block of one client IP (``reason``: the agent's, for the audit row)."""
    now = timezone.now()
    lock = Lock.objects.select_for_update().get(pk=lock.pk)
    if lock.scope != Scope.IP or not lock.is_active(now):
        return False
    lockout.IP_BLOCK.lift(lock.key, clears=lockout.ip_failures())
    lock.ended_at, lock.ended_how, lock.ended_by = now, UnlockHow.MANUAL, actor
    lock.save(update_fields=["ended_at", "ended_how", "ended_by"])
    audit_record(
        event="signin.ip_unblocked",
        request=request,
        actor=actor,
        subject=lock.key,
        data={"reference": lock.reference, **({"reason": reason[:500]} if reason else {})},
    )
    return True


def locks_expire(*, now: datetime | None = None, batch: int = 500) -> int:
    """Record the end of every lock whose time ran out (the periodic sweep): audit
    ``signin.auto_unlocked`` and send ``account_unlocked(how="expired")``. Idempotent."""
    now = now or timezone.now()
    done = 0
    for lock_id in list(locks_ran_out(now=now).values_list("pk", flat=True)[:batch]):
        done += _lock_expire(lock_id=lock_id, now=now)
    return done


@transaction.atomic
def _lock_expire(*, lock_id: int, now: datetime) -> int:
    lock = (
        Lock.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(pk=lock_id, ended_at__isnull=True, locked_until__lte=now)
        .select_related("user")
        .first()
    )
    if lock is None:
        return 0
    lock.ended_at = lock.locked_until
    lock.ended_how = UnlockHow.EXPIRED
    lock.save(update_fields=["ended_at", "ended_how"])
    audit_record(
        event="signin.auto_unlocked",
        user=lock.user,
        subject=lock.username or lock.key,
        ip=lock.ip,
        data={"reference": lock.reference, "scope": lock.scope, "how": UnlockHow.EXPIRED},
    )
    if lock.scope != Scope.IP:
        name = lock.user.get_username() if lock.user else lock.username
        transaction.on_commit(
            lambda: _send(account_unlocked, username=name, user=lock.user, how=UnlockHow.EXPIRED)
        )
    return 1
