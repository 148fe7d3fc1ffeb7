"""Writes on sign-in: what happens after each attempt, sign-out. Locks ending: ``signin.unlock``.

Keyword-only, typed, atomic. Every event writes an audit row in the same transaction; messages and
signals go out after commit (``signin.tasks``, ``signin.signals``).
"""

from __future__ import annotations

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
from signin.models import Lock, Scope, UserSession
from signin.session_records import session_record_statement
from signin.signals import account_locked, lock_signal_send

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
        lambda: lock_signal_send(
            account_locked,
            username=username,
            user=lock.user,
            reference=lock.reference,
            locked_until=lock.locked_until,
        )
    )


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
