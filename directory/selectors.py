"""Reads from the directory (as the service account) and from the portal's link rows."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import ldap3
from django.utils import timezone
from ldap3.utils.conv import escape_filter_chars

from directory import conf
from directory.connection import service_connection
from directory.dialects import DirectoryLock, DirectoryUnavailable, Entry, LockPolicy
from directory.models import DirectoryAccount

POLICY_TTL_SECONDS = 300
_policy_cache: dict[tuple, tuple[float, LockPolicy]] = {}


def entry_of(response_item: dict) -> Entry:
    return Entry(
        dn=response_item["dn"],
        attributes=dict(response_item.get("attributes") or {}),
        raw=dict(response_item.get("raw_attributes") or {}),
    )


def entries_of(conn) -> list[Entry]:
    return [entry_of(r) for r in conn.response or [] if r.get("type") == "searchResEntry"]


def user_attributes() -> list[str]:
    return conf.dialect().user_attributes(conf.attribute_map())


def identifier_filter(typed: str) -> str:
    """People under the base whose username or email is ``typed`` (escaped: ``*)(uid=*`` is
    looked for as those eight characters)."""
    mapping = conf.attribute_map()
    value = escape_filter_chars(typed)
    clauses = [f"({mapping['username']}={value})"]
    if "@" in typed and mapping.get("email"):
        clauses.append(f"({mapping['email']}={value})")
    clauses += conf.dialect().identifier_clauses(typed)
    either = clauses[0] if len(clauses) == 1 else f"(|{''.join(clauses)})"
    return f"(&{conf.user_filter()}{either})"


def entry_find(*, typed: str) -> Entry | None:
    """The one person ``typed`` names (username or email), or None (none, or more than one)."""
    if not typed:
        return None
    with service_connection() as conn:
        conn.search(
            conf.base_dn(),
            identifier_filter(typed),
            search_scope=ldap3.SUBTREE,
            attributes=user_attributes(),
            size_limit=2,
        )
        found = entries_of(conn)
    return found[0] if len(found) == 1 else None


def entry_read(*, dn: str) -> Entry | None:
    with service_connection() as conn:
        conn.search(
            dn,
            conf.user_filter(),
            search_scope=ldap3.BASE,
            attributes=user_attributes(),
        )
        found = entries_of(conn)
    return found[0] if found else None


def policy() -> LockPolicy:
    """The directory's lockout policy, read again every five minutes."""
    key = (conf.get("DIRECTORY_KIND"), tuple(conf.get("DIRECTORY_URLS")), conf.base_dn())
    held = _policy_cache.get(key)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    with service_connection() as conn:
        found = conf.dialect().policy_read(conn)
    _policy_cache[key] = (time.monotonic() + POLICY_TTL_SECONDS, found)
    return found


def policy_forget() -> None:
    _policy_cache.clear()


def directory_account_of(user) -> DirectoryAccount | None:
    if user is None or getattr(user, "pk", None) is None:
        return None
    return DirectoryAccount.objects.filter(user_id=user.pk).first()


def directory_lock_for_user(*, user, now: datetime | None = None) -> DirectoryLock | None:
    """The directory's lock on ``user`` now (None: no directory, not a directory account, or
    gone). ``DirectoryUnavailable`` when the directory does not answer."""
    if not conf.enabled():
        return None
    link = directory_account_of(user)
    if link is None:
        return None
    entry = entry_read(dn=link.dn)
    if entry is None:
        return None
    return conf.dialect().lock_read(entry, policy(), now or timezone.now())


@dataclass(frozen=True)
class DirectoryLockView:
    """What the lock page, the ticket page and the lock-status API show of the directory's lock."""

    locked: bool = False
    since: datetime | None = None
    until: datetime | None = None  # None while locked: until someone lifts it
    failures: int = 0
    unreachable: bool = False  # the directory did not answer: its state is unknown


def directory_lock_view(*, user) -> DirectoryLockView | None:
    """The directory's lock on ``user`` for a page; None when there is no directory or the
    account is not a directory account. Never raises for a directory that does not answer."""
    if not conf.enabled() or directory_account_of(user) is None:
        return None
    try:
        lock = directory_lock_for_user(user=user)
    except DirectoryUnavailable:
        return DirectoryLockView(unreachable=True)
    if lock is None:
        return None
    return DirectoryLockView(
        locked=lock.locked, since=lock.since, until=lock.until, failures=lock.failures
    )
