"""How a reset flow row (``reset.models.ResetFlow``) is found: the SHA-256 of its browser key or
link token, and a keyed hash of what was typed. The reset journey (``reset.flow``) and the agents'
reset link (``reset.services.reset_invite_send``) key rows the same way."""

from __future__ import annotations

import hashlib

from django.utils.crypto import salted_hmac

from accounts.identifiers import identifier_canonical


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def typed_key(identifier: str) -> str:
    """A keyed hash of what was typed, in its canonical form (``accounts.identifiers``)."""
    canonical = identifier_canonical((identifier or "")[:254])
    # The salt keeps the name it had in the accounts app: stored keys stay valid.
    return salted_hmac("accounts.reset.typed", canonical, algorithm="sha256").hexdigest()
