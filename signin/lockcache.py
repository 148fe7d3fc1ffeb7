"""A copy of each active account lock in the shared cache (Redis in production), so an attempt
while the account is locked is refused before the database is read: no account lookup, no row
lock, only the refusal's audit row.

The copy is written when a lock starts (after its transaction commits) under the account's
counter key and under what was typed when it started (an email address or phone number locks
the account it belongs to: a later attempt with the same text must cost the same whether or not
an account is behind it). It is deleted when a lock is cleared (``lock_clear``: agent or password
reset) and ignored once its time is up. The database stays the authority: without a copy (cache
evicted, cache down, a lock of a known browser or an IP) an attempt takes the ordinary path
(``signin.lockout.attempt_begin``), which decides the same way.

Only account-scope locks are copied. A browser known to the account is never refused here: it
has its own counter, and its attempts take the ordinary path.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

from accounts.models import normalize_identifier

PREFIX = "signin:lock:"
logger = logging.getLogger(__name__)


def _cache_key(name: str) -> str:
    return PREFIX + hashlib.sha256(name.encode()).hexdigest()[:32]


def _names(*names: str | None) -> list[str]:
    keys = {normalize_identifier(name) for name in names if name}
    return [_cache_key(name) for name in sorted(keys) if name]


def remember(*, lock, typed: str = "") -> None:
    """Copy an account lock (call after its transaction committed)."""
    seconds = int((lock.locked_until - timezone.now()).total_seconds())
    if seconds <= 0:
        return
    value = {
        "id": lock.pk,
        "reference": lock.reference,
        "key": lock.key,
        "username": lock.username,
        "user": lock.user_id,
        "locked_at": lock.locked_at.isoformat(),
        "locked_until": lock.locked_until.isoformat(),
        "minutes": lock.minutes,
        "failures": lock.failures,
    }
    try:
        cache.set_many(dict.fromkeys(_names(lock.key, typed), value), timeout=seconds + 60)
    except Exception:
        logger.exception("signin: could not copy a lock to the cache (the database still holds)")


def forget(*names: str | None) -> None:
    """Drop the copies kept under these names (a lock was cleared)."""
    keys = _names(*names)
    if not keys:
        return
    try:
        cache.delete_many(keys)
    except Exception:
        logger.exception("signin: could not drop a lock's copy from the cache")


def active_lock(*, typed: str):
    """The active account lock for what was typed, from the cache: an unsaved ``Lock`` holding
    the copied fields (id, reference, key, user id, times, failures), or None."""
    from signin.models import Lock, Scope

    name = normalize_identifier(typed)
    if not name:
        return None
    try:
        value = cache.get(_cache_key(name))
    except Exception:
        return None  # the ordinary path decides
    if not isinstance(value, dict):
        return None
    until = datetime.fromisoformat(value["locked_until"])
    if until <= timezone.now():
        return None
    return Lock(
        pk=value["id"],
        reference=value["reference"],
        scope=Scope.ACCOUNT,
        key=value["key"],
        username=value["username"],
        user_id=value["user"],
        locked_at=datetime.fromisoformat(value["locked_at"]),
        locked_until=until,
        minutes=value["minutes"],
        failures=value["failures"],
    )
