"""A robot's webhook URL and signing secret at rest: Fernet (AES-128-CBC with HMAC-SHA256, from
``cryptography``, already installed for django-oauth-toolkit's jwcrypto) under a key derived
from ``SECRET_KEY`` (HMAC-SHA256 with a purpose of its own). While a key rotation settles, a
value made under a key in ``SECRET_KEY_FALLBACKS`` still opens (``MultiFernet``); saving the robot
again writes it under the new key."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.utils.crypto import salted_hmac

from portal.keys import signing_keys

PURPOSE = "messaging.messengers.vault"


def _fernet() -> MultiFernet:
    keys = [
        Fernet(
            base64.urlsafe_b64encode(
                salted_hmac(PURPOSE, "fernet", secret=key, algorithm="sha256").digest()
            )
        )
        for key in signing_keys()
    ]
    return MultiFernet(keys)


def seal(value: str) -> str:
    """The encrypted form of ``value`` ("" stays "")."""
    if not value:
        return ""
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def unseal(value: str) -> str:
    """The clear value, "" for nothing; ``ValueError`` when no known key opens it."""
    if not value:
        return ""
    try:
        return _fernet().decrypt(value.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("the stored value opens under no known key") from None
