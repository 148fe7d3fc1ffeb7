"""The pass itself: drawn from ``secrets``, readable, kept only as a keyed digest.

The alphabet has no characters that read or sound alike (no 0/O, 1/I/L, no lower case), so a
pass read out on a call is typed right: 12 characters from 31 are about 59 bits, grouped by four
(``K7QX-M4PA-9RTD``). What is typed is compared without case, spaces, dashes or full width. The
digest is HMAC-SHA256 under ``SECRET_KEY`` (and each of ``SECRET_KEY_FALLBACKS`` while a
rotation settles), compared in constant time; a copy of the database gives no pass that works.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from django.utils.crypto import constant_time_compare, salted_hmac

from access_pass import conf
from portal.keys import signing_keys

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUP = 4
SALT = "access_pass.pass"
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—·._]+")
# The digest a check compares with when there is no pass: made of nothing anyone can type.
NO_PASS = "0" * 64


def pass_length() -> int:
    return max(12, int(conf.get("ACCESS_PASS_LENGTH")))


def pass_generate() -> str:
    """A new pass, grouped for reading out."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(pass_length()))
    return "-".join(raw[i : i + GROUP] for i in range(0, len(raw), GROUP))


def pass_normalize(typed: object) -> str:
    """What was typed as the pass's characters (upper case, no separators); "" when it cannot
    be a pass (wrong length, a character outside the alphabet, not text)."""
    if not isinstance(typed, str) or len(typed) > 100:
        return ""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()
    if len(value) != pass_length() or any(ch not in ALPHABET for ch in value):
        return ""
    return value


def pass_digest(normalized: str, *, secret: str | None = None) -> str:
    return salted_hmac(SALT, normalized, secret=secret, algorithm="sha256").hexdigest()


def pass_matches(typed: object, digest: str) -> bool:
    """Whether ``typed`` is the pass of ``digest``. The same work for every input: one digest
    per signing key, each compared in constant time, whether or not there is a pass."""
    normalized = pass_normalize(typed)
    right = False
    for key in signing_keys():
        candidate = pass_digest(normalized, secret=key)
        right |= constant_time_compare(candidate, digest or NO_PASS) and bool(normalized)
    return right
