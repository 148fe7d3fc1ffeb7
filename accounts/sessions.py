"""The records of signed-in sessions, as accounts needs them: a password change ends the other
sessions and follows this one's new key, the security page lists sign-ins and open sessions.

The records are the sign-in app's (``signin.UserSession``, a higher layer), so they are reached
through the callables these settings name (``accounts/conf.py``), never by an import. An empty
setting turns that part off (nothing ended, nothing listed)."""

from __future__ import annotations

from django.utils.module_loading import import_string

from accounts import conf


def _named(setting: str):
    path = conf.get(setting)
    return import_string(path) if path else None


def sessions_end(*, user, except_session_key: str | None = None) -> int:
    """End every open session of ``user`` but ``except_session_key``; how many ended."""
    end = _named("ACCOUNTS_SESSIONS_END")
    return end(user=user, except_session_key=except_session_key) if end else 0


def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key Django cycled (``update_session_auth_hash``)."""
    rekey = _named("ACCOUNTS_SESSION_REKEY")
    if rekey:
        rekey(old_key=old_key, new_key=new_key)


def signins_recent(*, user, current_session_key: str | None) -> list:
    """The security page's "Recent sign-ins" rows, newest first."""
    recent = _named("ACCOUNTS_SIGNINS_RECENT")
    return list(recent(user=user, current_session_key=current_session_key)) if recent else []


def sessions_open(*, user) -> list:
    """The user's open sessions (each with its ``session_key``), most recently seen first."""
    open_for = _named("ACCOUNTS_SESSIONS_OPEN")
    return list(open_for(user=user)) if open_for else []
