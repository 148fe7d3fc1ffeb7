"""Refusing an attempt on a locked account before the account is even looked up.

Most attempts while an account is locked come from whoever locked it, typing the same name again.
They are refused from the lock's own row: an account lock is found by its counter key (the
account's, or for a name without an account, the name's) or by the text typed when it started
(``Lock.typed_key``), so an email address or phone number that locked an account is refused the
same way, at the same cost, as a name that has no account behind it. What was typed is compared in
its canonical form (``accounts.identifiers.identifier_canonical``), so every spelling of the text
that started a lock is refused by it. The lock is read (one query, no row lock) and the refusal
audited as every refusal is (``signin.services.refusal_record``, one insert as its own
transaction). The refusal then counts against the client IP as a failure (one cache call), so an IP
hammering a locked name reaches its block. The same objects are built whether the lock has an
account behind it or not.

A browser the account knows is never refused here: it has its own counter, which the ordinary
path (``signin.lockout.attempt_begin``) reads. A browser that signed in by this name before
(``browsers.typed_known``) goes there at once; one that holds a known-browser cookie for any
account has the lock read first and is let through when the lock's account knows it, and only
then is the refusal audited. Without a lock row (or with one that has ended or run out) the
ordinary path decides, which refuses the same attempts.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from accounts.identifiers import identifier_canonical
from signin import browsers
from signin.attempt import Refusal, attempt_of, refusal_decide
from signin.db import bookkeeping
from signin.identity import Identity
from signin.models import Lock, Scope
from signin.selectors import locks_active
from signin.services import refusal_ip_record, refusal_record

LOCK_FIELDS = ("id", "reference", "key", "username", "user_id", "locked_at", "locked_until")
LOCK_FIELDS += ("minutes", "failures", "scope")


def quick_refusal(request: HttpRequest, typed: str) -> Refusal | None:
    """The refusal (recorded, and counted against the client IP) of an attempt on an account
    locked now, or None: the ordinary path decides."""
    if browsers.typed_known(request, typed):
        return None  # signed in from here by this name: its counter decides
    name = identifier_canonical(typed)
    if not name:
        return None
    refusal = _refuse_by_lock(request, typed=typed, name=name)
    if refusal is not None:
        refusal_ip_record(request=request)
    return refusal


def _refuse_by_lock(request: HttpRequest, *, typed: str, name: str) -> Refusal | None:
    lock = lock_active_for_name(name=name)
    if lock is None:
        return None
    account = _account_of(lock)
    user = account if account.pk is not None else None
    refusal = refusal_decide(
        identity=Identity(key=lock.key, typed=typed, user=user, typed_key=name),
        browser=browsers.known_browser_id(request, account),
        scope=Scope.ACCOUNT,
        lock=lock,
        locked_until=lock.locked_until,
        now=timezone.now(),
    )
    if refusal is None:
        return None
    attempt_of(request).identity = refusal.identity
    with bookkeeping(alone=True):  # one INSERT, one round trip
        refusal_record(request=request, refusal=refusal)
    return refusal


def lock_active_for_name(*, name: str) -> Lock | None:
    """The account lock in force for a name in canonical form (its key, or what was typed when
    it started), or None."""
    return (
        locks_active()
        .filter(Q(key=name) | Q(typed_key=name), scope=Scope.ACCOUNT)
        .only(*LOCK_FIELDS)
        .order_by("-locked_until")
        .first()
    )


def _account_of(lock: Lock):
    """The lock's account as a reference (its id only; no id for a name without an account,
    built all the same, so both cost the same)."""
    return get_user_model()(pk=lock.user_id)
