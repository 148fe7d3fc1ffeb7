"""What a person typed to name an account, in the one canonical form every counter keys on.

Sign-in counters, the reset's caps and the unlock-request limits all key an unknown name on this
form, and a real account on the account itself: two spellings of one real account (``name`` and
``NAME``, ``137 1000 0060`` and ``+8613710000060``, a full-width ``＠``) fall on one key for an
unknown name exactly as they do for a real one, so no count or warning tells the two apart.
"""

from __future__ import annotations

import unicodedata

from accounts.models import normalize_identifier
from messaging.errors import InvalidRecipient
from messaging.recipients import phone_normalize


def phone_e164(value: str) -> str | None:
    """``value`` as an E.164 phone number when it reads as a valid one (national numbers in
    ``PHONE_DEFAULT_REGION``; ``+86``, ``86`` and ``0086`` prefixes; spaces and dashes), else None.
    The account lookup matches phones on this form."""
    if not any(ch.isdigit() for ch in value):
        return None
    try:
        return phone_normalize(value)
    except InvalidRecipient:
        return None


def identifier_canonical(value: str) -> str:
    """Case-folded, compatibility-normalised (full-width letters, digits and ``＠`` become
    ASCII), without control characters or whitespace; a phone number as E.164."""
    text = normalize_identifier(unicodedata.normalize("NFKC", value or ""))
    text = "".join(text.split())
    return phone_e164(text) or text
