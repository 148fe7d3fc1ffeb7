"""Signing in with a temporary access pass: the name and the pass, checked once, then signed in
with the session held to the enrolment pages (``access_pass.enrol``).

It works while the account's password is locked (the lock is about guessed passwords; the pass
was given by an agent who verified the caller), so a wrong pass never counts on the account's
password counter. Wrong passes count instead on the pass (``ACCESS_PASS_MAX_TRIES`` kill it),
on the client IP and on the name typed (both per hour, in the shared limit store), and as one
failure on the sign-in's shared client-IP counter (``signin.lockout``), so guessing here
brings on the same IP block as guessing passwords.

No enumeration: an unknown name, a name without a pass, an expired, used or wrong pass all get
the same answer, after the same work: one lookup of the name, one locked read of its live pass
(of no account for an unknown name), one digest per signing key, one ``UPDATE`` of the tries
(matching no row when there is none), one audit row, the same limit-store calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Value, When
from django.http import HttpRequest
from django.utils import timezone

from access_pass import conf
from access_pass.models import AccessPass, PassState
from access_pass.secret import pass_matches
from access_pass.signals import pass_used
from audit.services import audit_record
from passkeys.selectors import passkeys_count
from portal import limits
from portal.net import client_ip
from signin import conf as signin_conf
from signin import flow, lockout
from signin.attempt import attempt_of
from signin.identity import identity_for_user, identity_resolve

ENROL = "access_pass.enrol"  # the session's "set a password or a passkey first" marker

IP_FAILURES = limits.Rolling("access-pass-ip", seconds=3600)
TYPED_FAILURES = limits.Rolling("access-pass-typed", seconds=3600)


@dataclass(frozen=True)
class Outcome:
    user: Any = None  # signed in
    error: str = ""  # "wrong" (every failure alike) or "limited" (wait; retry_at)
    retry_at: Any = None


def _limited(*, ip: str, typed_key: str):
    """Whether this client or this name typed is over its hourly wrong passes, or the client's
    IP is blocked by the sign-in's lockout: the moment it frees, or None."""
    ip_state = IP_FAILURES.state(ip, limit=conf.get("ACCESS_PASS_IP_FAILURES_PER_HOUR"))
    typed_state = TYPED_FAILURES.state(
        typed_key, limit=conf.get("ACCESS_PASS_TYPED_FAILURES_PER_HOUR")
    )
    if lockout.ip_block_reference(ip):
        return timezone.now() + signin_conf.cooloff()
    return ip_state.retry_at or typed_state.retry_at


def pass_signin(*, request: HttpRequest, typed: str, secret: str, next_url: str) -> Outcome:
    """Check ``secret`` for the account named ``typed``; sign in on the right pass."""
    identity = identity_resolve(typed=typed)
    ip = client_ip(request) or ""
    typed_key = identity.typed_key or "-"
    retry_at = _limited(ip=ip, typed_key=typed_key)
    if retry_at:
        audit_record(
            event="access_pass.refused",
            request=request,
            subject=identity.typed,
            data={"reason": "limited"},
        )
        return Outcome(error="limited", retry_at=retry_at)
    user = identity.user if identity.user is not None and identity.user.is_active else None
    now = timezone.now()
    with transaction.atomic():
        row = (
            AccessPass.objects.select_for_update()
            .filter(user_id=user.pk if user else 0, state=PassState.ACTIVE)
            .only("pk", "digest", "expires_at", "failures", "reference")
            .first()
        )
        right = pass_matches(secret, row.digest if row else "")
        live = row is not None and row.expires_at > now
        if right and live:
            row.state, row.used_at, row.used_ip = PassState.USED, now, ip or None
            row.save(update_fields=["state", "used_at", "used_ip"])
            audit_record(
                event="access_pass.used",
                request=request,
                actor=user,
                user=user,
                subject=user.get_username(),
                data={"pass": row.pk, "reference": row.reference},
            )
            row.user = user
            transaction.on_commit(
                lambda: pass_used.send(sender=AccessPass, user=user, access_pass=row),
                robust=True,
            )
        else:
            _failed(request=request, row=row, user=user, typed=identity.typed, now=now)
    if not (right and live):
        IP_FAILURES.hit(ip)
        TYPED_FAILURES.hit(typed_key)
        lockout.refusal_ip_count(ip=ip)  # one failure on the sign-in's shared IP counter
        return Outcome(error="wrong")
    _sign_in(request=request, user=user, access_pass=row, next_url=next_url)
    return Outcome(user=user)


def _failed(*, request, row, user, typed: str, now) -> None:
    """A wrong (or expired) pass: one try more on the pass (the last one kills it; an expired
    one is marked so), by one statement that matches no row when there is no pass."""
    most = int(conf.get("ACCESS_PASS_MAX_TRIES"))
    AccessPass.objects.filter(pk=row.pk if row else 0, state=PassState.ACTIVE).update(
        failures=F("failures") + 1,
        state=Case(
            When(expires_at__lte=now, then=Value(PassState.EXPIRED)),
            When(failures__gte=most - 1, then=Value(PassState.FAILED)),
            default=F("state"),
        ),
        ended_at=Case(
            When(expires_at__lte=now, then=Value(now)),
            When(failures__gte=most - 1, then=Value(now)),
            default=F("ended_at"),
        ),
    )
    expired = row is not None and row.expires_at <= now
    tries_left = max(0, most - row.failures - 1) if row is not None else 0
    audit_record(
        event="access_pass.expired" if expired else "access_pass.failed",
        request=request,
        user=user if row is not None else None,
        subject=typed,
        data={
            "pass": row.pk if row else None,
            "reason": "expired" if expired else ("wrong" if row else "no_pass"),
            "tries_left": tries_left,
        },
    )


def _sign_in(*, request: HttpRequest, user, access_pass: AccessPass, next_url: str) -> None:
    """Sign in as a passed sign-in does (``signin.flow.complete``: new session key, counters,
    session record, audit ``signin.succeeded`` with second_step "access_pass"), then hold the
    session to the enrolment pages."""
    attempt = attempt_of(request)
    attempt.identity = identity_for_user(user=user)
    attempt.second_step = "access_pass"
    flow.complete(request=request, user=user)
    request.session[ENROL] = {
        "pass": access_pass.pk,
        "next": next_url,
        "passkeys": passkeys_count(user_id=user.pk),
    }
