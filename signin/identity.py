"""Which account an attempt is about: the counters' key for whatever was typed.

A typed username, email address or phone number that points at an account is keyed on that
account's username (case-folded), so ``Zhang.Wei``, `` zhang.wei `` and ``zhang.wei@corp.cn`` share
one counter. Anything else is keyed on the typed text, normalised the same way: unknown usernames
are counted and locked exactly like real ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accounts.models import normalize_identifier
from accounts.selectors import user_find_by_identifier

MAX_IDENTIFIER_LENGTH = 254


@dataclass(frozen=True)
class Identity:
    key: str  # the counters' key
    typed: str  # what was typed, printable and trimmed (for pages, audit and unlock requests)
    user: Any  # the account, or None


def typed_clean(typed: str | None) -> str:
    """What was typed, printable and trimmed (as kept in ``Identity.typed``)."""
    cleaned = "".join(ch for ch in (typed or "") if ch.isprintable()).strip()
    return cleaned[:MAX_IDENTIFIER_LENGTH]


def identity_resolve(*, typed: str | None, for_signin: bool = False) -> Identity:
    """``for_signin``: the account comes with ``has_second_step`` (same query), for the step after
    a right password."""
    cleaned = typed_clean(typed)
    user = (
        user_find_by_identifier(identifier=cleaned, with_second_step=for_signin)
        if cleaned
        else None
    )
    return (
        identity_for_user(user=user, typed=cleaned)
        if user
        else Identity(key=normalize_identifier(cleaned), typed=cleaned, user=None)
    )


def identity_for_user(*, user, typed: str = "") -> Identity:
    return Identity(
        key=normalize_identifier(user.get_username()), typed=typed or user.get_username(), user=user
    )


def axes_username(request, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: axes' own records and tools use the same key as our counters."""
    typed = (credentials or {}).get("username")
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get("username")
    return identity_resolve(typed=typed).key if typed else None
