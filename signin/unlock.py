"""Locks ending: an agent or a password reset lifts an account's lock (``lock_clear``), an agent
an IP's block (``ip_block_clear``), the periodic sweep records the locks whose time ran out
(``locks_expire``). Keyword-only, typed, atomic, an audit row for each; ``account_unlocked`` goes
out after commit.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from directory.services import directory_lock_clear
from portal.tasks import task_enqueue_on_commit
from signin import lockout
from signin.identity import identity_resolve
from signin.models import FailureCounter, Lock, Scope, UnlockHow
from signin.selectors import locks_active, locks_ran_out
from signin.signals import account_unlocked, lock_signal_send
from signin.typed_counter import typed_counts_end, typed_keys_of

UNLOCK_HOWS = {UnlockHow.MANUAL, UnlockHow.RESET, UnlockHow.SELF_UNLOCK}


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
    axes' records. ``how``: ``"manual"`` (an agent; the owner is told), ``"reset"`` (a
    successful password reset) or ``"self_unlock"`` (the owner, with a code; ``reset.unlock``
    tells the owner). ``reason``: the agent's written reason, kept in the audit row.
    The company directory's lock on the account is lifted too (``directory.services``). Returns
    whether a lock was active (the portal's or the directory's)."""
    from axes.handlers.proxy import AxesProxyHandler

    # Imported here: signin.tasks imports this module (the lock sweep runs locks_expire).
    from signin import tasks

    if how not in UNLOCK_HOWS:
        raise ValueError(f"lock_clear: how must be one of {sorted(UNLOCK_HOWS)}, not {how!r}")
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
    # The company directory's lock too (after the portal's writes: it cannot be rolled back).
    directory_cleared = directory_lock_clear(
        user=identity.user, how=how, actor=actor, request=request
    )
    if not locks:
        return directory_cleared
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
    transaction.on_commit(
        lambda: lock_signal_send(account_unlocked, username=name, user=user, how=how)
    )
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
            lambda: lock_signal_send(
                account_unlocked, username=name, user=lock.user, how=UnlockHow.EXPIRED
            )
        )
    return 1
