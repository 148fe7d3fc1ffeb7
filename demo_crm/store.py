"""The demo CRM's own sessions: server-side, in the cache, keyed by its own cookie
(``DEMO_CRM_COOKIE``), never the portal's session. Each signed-in session is also listed under
the ``sid`` and ``sub`` of the ID token that opened it, so a back-channel logout can end it."""

from __future__ import annotations

import secrets

from django.core.cache import cache

from demo_crm import conf

PREFIX = "demo_crm"


def _key(kind: str, value: str) -> str:
    return f"{PREFIX}:{kind}:{value}"


def session_read(*, key: str | None) -> dict:
    if not key:
        return {}
    return cache.get(_key("session", key)) or {}


def session_write(*, key: str | None, data: dict) -> str:
    """Store ``data`` under ``key`` (a new random key when None); returns the key."""
    key = key or secrets.token_urlsafe(32)
    cache.set(_key("session", key), data, int(conf.get("DEMO_CRM_SESSION_SECONDS")))
    return key


def session_delete(*, key: str | None) -> None:
    if key:
        cache.delete(_key("session", key))


def session_index(*, key: str, sid: str, sub: str) -> None:
    """List ``key`` under its portal session's ``sid`` and its person's ``sub``."""
    timeout = int(conf.get("DEMO_CRM_SESSION_SECONDS"))
    for kind, value in (("sid", sid), ("sub", sub)):
        if value:
            keys = set(cache.get(_key(kind, value)) or ())
            keys.add(key)
            cache.set(_key(kind, value), sorted(keys), timeout)


def sessions_end(*, sid: str | None, sub: str | None) -> int:
    """End the sessions of ``sid`` (those of ``sub`` when there is no ``sid``); returns how many
    were open. With both, only sessions of that ``sid`` opened for that ``sub`` end."""
    kind, value = ("sid", sid) if sid else ("sub", sub)
    if not value:
        return 0
    ended = 0
    for key in cache.get(_key(kind, value)) or ():
        data = session_read(key=key)
        user = data.get("user") or {}
        if not user or (sub and user.get("sub") != sub):
            continue
        session_delete(key=key)
        ended += 1
    cache.delete(_key(kind, value))
    return ended
