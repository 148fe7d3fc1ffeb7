"""Knobs of the sign-in app, read lazily from settings with these defaults.

The lockout numbers and the lock-status API's secret come from the environment (``LOCKOUT_*``,
``PASSWORD_MAX_AGE_DAYS``, ``SESSION_IDLE_MINUTES``, ``TRUSTED_PROXY_COUNT``,
``LOCK_STATUS_API_SECRET``; see portal/settings.py and the README). The others are plain settings
a deployment may override; the README lists every one.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from functools import lru_cache

from django.conf import settings

DEFAULTS = {
    # Environment variables (portal/settings.py reads them).
    "LOCKOUT_FAILURE_LIMIT": 5,
    "LOCKOUT_COOLOFF_MINUTES": 30,
    "LOCKOUT_IP_FAILURE_LIMIT": 30,
    "LOCKOUT_LOG_RETENTION_DAYS": 90,
    "LOCKOUT_TRUSTED_NETWORKS": [],
    "PASSWORD_MAX_AGE_DAYS": 0,
    # A lock that starts within this many hours after the previous one ended lasts twice as long.
    "SIGNIN_LOCK_RECURRENCE_HOURS": 24,
    # No lock lasts longer than this, however often it recurs.
    "SIGNIN_LOCK_MAX_MINUTES": 24 * 60,
    # From this failure on, the sign-in page says how many attempts are left.
    "SIGNIN_WARN_FROM_FAILURE": 3,
    # A lock storm (docs/messengers.md): this many accounts locked from one network (/24, IPv6
    # /64) within the minutes below tells the security group's robot, once per window.
    "SIGNIN_LOCK_STORM_ACCOUNTS": 10,
    "SIGNIN_LOCK_STORM_MINUTES": 5,
    # The known-browser cookie: name and lifetime (renewed by each successful sign-in).
    "SIGNIN_KNOWN_BROWSER_COOKIE": "portal_kb",
    "SIGNIN_KNOWN_BROWSER_DAYS": 90,
    # Accounts one browser remembers (a shared PC); the oldest is forgotten first.
    "SIGNIN_KNOWN_BROWSER_MAX_ACCOUNTS": 10,
    # Time allowed between the right password and the second step (code, expired password).
    "SIGNIN_PENDING_MINUTES": 5,
    # Days before expiry on which a password-expiry reminder goes out.
    "SIGNIN_PASSWORD_REMINDER_DAYS": (14, 7, 1),
    # A signed-in session's "last seen" is written at most this often.
    "SIGNIN_SESSION_TOUCH_SECONDS": 60,
    # Sign-in bookkeeping commits without waiting for the disk on PostgreSQL (see signin/db.py).
    "SIGNIN_ASYNC_COMMIT": True,
    # Rows deleted per statement by the cleanup task.
    "SIGNIN_CLEANUP_BATCH": 5000,
    # Dotted name of a view decorator around the sign-in door (a higher app's, so named here,
    # never imported): the notices app's guard closes the door while a notice blocks sign-in.
    "SIGNIN_DOOR_GUARD": "notices.guards.signin_maintenance_guard",
    # Dotted name of a callable (next_url) -> heading or None: the single sign-on app's "Sign in
    # to <client>" when the sign-in is the authorize step of a registered client.
    "SIGNIN_NEXT_HEADING": "sso.headings.heading_for_next",
    # Dotted name of a callable (next_url) -> bool: whether a higher app lets a sign-in, the lock
    # page or a reset carry this local ``next`` (the single sign-on app: an authorization request
    # only for a registered client and one of its registered redirect URIs). Empty: any local path.
    "SIGNIN_NEXT_ALLOWED": "sso.selectors.next_allowed",
    # Dotted name of a callable (next_url) -> list of origins: where a sign-in form's answer may
    # end when it carries this (allowed) ``next`` (the app's registered redirect URI), added to
    # the page's form-action. Empty: none.
    "SIGNIN_NEXT_FORM_ORIGINS": "sso.selectors.next_form_origins",
    # Dotted name of a callable () -> bool: whether the lock page offers the reset app's "unlock
    # with a code" (its SELF_UNLOCK_ENABLED). Empty: not offered.
    "SIGNIN_SELF_UNLOCK_OFFERED": "reset.unlock.self_unlock_enabled",
    # --- /api/lock-status (signin.api) ----------------------------------------------------------
    # Shared secret (environment variable); empty turns the API off.
    "LOCK_STATUS_API_SECRET": "",
    # Requests per client IP and minute, and refused secrets per IP and 10 minutes before that IP
    # is told to slow down (HTTP 429).
    "LOCK_STATUS_API_RATE_PER_MINUTE": 300,
    "LOCK_STATUS_API_BAD_SECRET_LIMIT": 10,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def failure_limit() -> int:
    return int(get("LOCKOUT_FAILURE_LIMIT"))


def ip_failure_limit() -> int:
    return int(get("LOCKOUT_IP_FAILURE_LIMIT"))


def cooloff() -> timedelta:
    return timedelta(minutes=int(get("LOCKOUT_COOLOFF_MINUTES")))


def lock_max() -> timedelta:
    return timedelta(minutes=max(int(get("SIGNIN_LOCK_MAX_MINUTES")), cooloff_minutes()))


def cooloff_minutes() -> int:
    return int(get("LOCKOUT_COOLOFF_MINUTES"))


def recurrence_window() -> timedelta:
    return timedelta(hours=int(get("SIGNIN_LOCK_RECURRENCE_HOURS")))


def idle_timeout() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "SESSION_IDLE_TIMEOUT_SECONDS", 30 * 60)))


def absolute_timeout() -> timedelta:
    return timedelta(seconds=int(settings.SESSION_COOKIE_AGE))


def password_max_age() -> timedelta | None:
    days = int(get("PASSWORD_MAX_AGE_DAYS"))
    return timedelta(days=days) if days > 0 else None


def is_trusted_network(ip: str | None) -> bool:
    """Whether ``ip`` sits in one of LOCKOUT_TRUSTED_NETWORKS (exempt from the per-IP block)."""
    if not ip:
        return False
    networks = _networks(tuple(get("LOCKOUT_TRUSTED_NETWORKS") or ()))
    if not networks:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address.version == net.version and address in net for net in networks)


@lru_cache(maxsize=8)
def _networks(specs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(spec, strict=False) for spec in specs)
