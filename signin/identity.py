"""Which account an attempt is about: the counters' key for whatever was typed.

A typed username, email address or phone number that points at an account is keyed on that
account's username (case-folded), so ``Zhang.Wei``, ``ＺＨＡＮＧ.ＷＥＩ`` and ``zhang.wei@corp.cn``
share one counter. Anything else is keyed on the typed text in its canonical form
(``accounts.identifiers.identifier_canonical``: case, width, spaces, a phone number as E.164), so
the spellings of one unknown name fall on one key exactly as a real name's do. ``typed_key``, the
same canonical form for real and unknown names alike, keys what may depend only on the text
(the page's "attempts left", ``signin.typed_counter``; the lock's ``typed_key``).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.contrib.auth.hashers import get_hasher
from django.db import connection

from accounts.identifiers import identifier_canonical
from accounts.models import User, normalize_identifier
from accounts.selectors import user_find_by_identifier

MAX_IDENTIFIER_LENGTH = 254


@dataclass(frozen=True)
class Identity:
    key: str  # the counters' key
    typed: str  # what was typed, printable and trimmed (for pages, audit and unlock requests)
    user: Any  # the account, or None
    typed_key: str  # what was typed, canonical: the same for a real and an unknown name


def typed_clean(typed: str | None) -> str:
    """What was typed, printable and trimmed (as kept in ``Identity.typed``)."""
    cleaned = "".join(ch for ch in (typed or "") if ch.isprintable()).strip()
    return cleaned[:MAX_IDENTIFIER_LENGTH]


def identity_resolve(*, typed: str | None, for_signin: bool = False) -> Identity:
    """``for_signin``: the account comes with ``has_second_step`` (same query), for the step after
    a right password."""
    cleaned = typed_clean(typed)
    canonical = identifier_canonical(cleaned)
    # The lookup gets the text in compatibility form without spaces (full-width letters and
    # ``＠`` find the account); it reads a phone number in any format itself.
    lookup = "".join(unicodedata.normalize("NFKC", cleaned).split())
    user = (
        user_find_by_identifier(identifier=lookup, with_second_step=for_signin)
        if canonical
        else None
    )
    key = normalize_identifier(user.get_username()) if user is not None else canonical
    return Identity(key=key, typed=cleaned, user=user, typed_key=canonical)


def identity_for_user(*, user, typed: str = "") -> Identity:
    typed = typed or user.get_username()
    return Identity(
        key=normalize_identifier(user.get_username()),
        typed=typed,
        user=user,
        typed_key=identifier_canonical(typed),
    )


def account_stand_in() -> User:
    """What an attempt on a name without an account checks the password against: an account
    built as the sign-in's lookup builds a found one (every field, the phone number parsed), with
    a throw-away hash made once by the hasher in force. Checking it is the work a real account's
    check does (``check_password``: identify, verify), so neither the objects built nor the
    hashing tell the two apart."""
    fields = [field.attname for field in User._meta.concrete_fields]
    values = [_STAND_IN_VALUES.get(name) for name in fields]
    values[fields.index("password")] = throwaway_hash()
    user = User.from_db(connection.alias, fields, values)
    user.has_second_step = False
    return user


_STAND_IN_VALUES = {
    "username": "",
    "first_name": "",
    "last_name": "",
    "email": "",
    "phone": "+8613800000000",
    "is_superuser": False,
    "is_staff": False,
    "is_active": True,
    "language": "",
    "employee_id": None,
    "contact_prompt_skips": 0,
}


def throwaway_hash() -> str:
    """A hash of a random secret nobody knows, by the hasher in force (made at start-up,
    ``signin.apps``, and again should the hasher change, as under a test's settings)."""
    return _made_by(get_hasher())


@lru_cache(maxsize=4)
def _made_by(hasher) -> str:
    return hasher.encode(secrets.token_urlsafe(32), hasher.salt())


def axes_username(request, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: axes' own records and tools use the same key as our counters."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get("username")
    return identity_resolve(typed=typed).key if typed else None
