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

import unicodedata
from dataclasses import dataclass
from typing import Any

from accounts.identifiers import identifier_canonical
from accounts.models import normalize_identifier
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


def axes_username(request, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: axes' own records and tools use the same key as our counters."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get("username")
    return identity_resolve(typed=typed).key if typed else None
