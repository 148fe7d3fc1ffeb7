"""Known browsers: a signed, HttpOnly cookie that a successful sign-in leaves in the browser.

The cookie holds a random browser ID and, for each account that signed in from this browser, a
keyed digest of (browser ID, account) with the day of that sign-in, and a keyed digest of
(browser ID, what was typed to sign in); never a username. The second lets a sign-in from this
browser skip the quick refusal of a locked account (``signin.refusals``), which never refuses a
known browser anyway: the account's own counter decides. A browser is
known to an account for ``SIGNIN_KNOWN_BROWSER_DAYS`` (90) after its last successful sign-in
there. A lock caused by browsers an account does not know does not stop its known browsers; each
known browser has a counter of its own (``signin.lockout``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.identifiers import identifier_canonical
from portal.keys import signing_keys
from signin import conf
from signin.attempt import attempt_of

SALT = "signin.known-browser"
DAY = 86400


def _today() -> int:
    return int(timezone.now().timestamp() // DAY)


def _max_age_days() -> int:
    return int(conf.get("SIGNIN_KNOWN_BROWSER_DAYS"))


def _read(request: HttpRequest | None) -> dict:
    if request is None:
        return {}
    attempt = attempt_of(request)
    cached = attempt.browser_cookie_read
    if cached is not None:
        return cached
    raw = getattr(request, "COOKIES", {}).get(conf.get("SIGNIN_KNOWN_BROWSER_COOKIE"), "")
    data: dict = {}
    if raw and len(raw) < 4096:
        try:
            loaded = signing.loads(raw, salt=SALT, max_age=_max_age_days() * DAY)
        except (signing.BadSignature, ValueError):
            loaded = None
        if (
            isinstance(loaded, dict)
            and isinstance(loaded.get("b"), str)
            and isinstance(loaded.get("a"), dict)
        ):
            data = loaded
    attempt.browser_cookie_read = data
    return data


def _digest(browser_id: str, user, *, secret: str | None = None) -> str:
    return salted_hmac(SALT, f"{browser_id}:{user.pk}", secret=secret).hexdigest()[:20]


def _typed_digest(browser_id: str, typed_key: str, *, secret: str | None = None) -> str:
    """``typed_key``: what was typed, canonical (``accounts.identifiers``)."""
    value = f"{browser_id}:typed:{typed_key}"
    return salted_hmac(SALT, value, secret=secret).hexdigest()[:20]


def _latest_day(days: object, digest, *args) -> int | None:
    """The day stored under ``digest(*args)`` made with the current key or, during a key
    rotation, one of ``SECRET_KEY_FALLBACKS``: a known browser stays known across it."""
    if not isinstance(days, dict):
        return None
    found = [days.get(digest(*args, secret=key)) for key in signing_keys()]
    found_days = [day for day in found if isinstance(day, int)]
    return max(found_days) if found_days else None


def cookie_present(request: HttpRequest | None) -> bool:
    """Whether the browser holds a valid known-browser cookie (for any account)."""
    return bool(_read(request))


def typed_known(request: HttpRequest | None, typed: str) -> bool:
    """Whether this browser signed in by typing ``typed`` (in any spelling of it: case, width,
    spaces, phone format) within ``SIGNIN_KNOWN_BROWSER_DAYS``: most likely it is known to the
    account that text names."""
    data = _read(request)
    typed_key = identifier_canonical(typed) if data else ""
    if not typed_key:
        return False
    day = _latest_day(data.get("t"), _typed_digest, data["b"], typed_key)
    return day is not None and day >= _today() - _max_age_days()


def known_browser_id(request: HttpRequest | None, user) -> str:
    """This browser's ID when it is known to ``user``; "" otherwise. An account without an id
    (one built to stand in for a name without an account) is looked for all the same, so a
    browser holding a cookie costs the same whether the name has an account."""
    if user is None:
        return ""
    data = _read(request)
    if not data:
        return ""
    day = _latest_day(data["a"], _digest, data["b"], user)
    if user.pk is None or day is None or day < _today() - _max_age_days():
        return ""
    return data["b"]


def cookie_value_after_signin(request: HttpRequest, user, typed: str = "") -> str:
    """The cookie to leave in the browser after ``user`` signed in from it (by typing
    ``typed``)."""
    data = _read(request)
    browser_id = data.get("b") or secrets.token_urlsafe(16)
    accounts = _recent(data.get("a") if data else None)
    accounts[_digest(browser_id, user)] = _today()
    names = _recent(data.get("t") if data else None)
    typed_key = identifier_canonical(typed)
    if typed_key:
        names[_typed_digest(browser_id, typed_key)] = _today()
    return signing.dumps({"b": browser_id, "a": accounts, "t": names}, salt=SALT, compress=True)


def _recent(days: dict | None) -> dict:
    """The entries of the last ``SIGNIN_KNOWN_BROWSER_DAYS``, at most the newest
    ``SIGNIN_KNOWN_BROWSER_MAX_ACCOUNTS`` (to which the caller adds one)."""
    oldest_allowed = _today() - _max_age_days()
    fresh = {
        k: v
        for k, v in (days if isinstance(days, dict) else {}).items()
        if isinstance(v, int) and v >= oldest_allowed
    }
    keep = int(conf.get("SIGNIN_KNOWN_BROWSER_MAX_ACCOUNTS")) - 1
    return dict(sorted(fresh.items(), key=lambda item: item[1])[-keep:]) if keep > 0 else {}


def cookie_set(response: HttpResponse, value: str) -> None:
    response.set_cookie(
        conf.get("SIGNIN_KNOWN_BROWSER_COOKIE"),
        value,
        max_age=_max_age_days() * DAY,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
