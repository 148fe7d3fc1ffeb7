"""Knobs of the passkeys app, read lazily from settings with these defaults.

The relying party (``OTP_WEBAUTHN_RP_ID``, ``OTP_WEBAUTHN_ALLOWED_ORIGINS``) comes from
``PORTAL_BASE_URL`` in portal/settings.py; ``SIGNIN_STAFF_PASSKEY_REQUIRED`` from the environment.
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # Failed passkey sign-ins (a signature, a counter or a passkey the portal does not know) per
    # client IP, in the shared store: past these, passkey sign-in from that IP waits. Their own
    # counter: a passkey cannot be guessed, so these never lock the account's password.
    "PASSKEYS_FAILURES_PER_IP": "10/15m,50/d",
    # Failed uses of one registered passkey (a stale counter: a cloned authenticator) before that
    # passkey waits, whoever holds it.
    "PASSKEYS_FAILURES_PER_PASSKEY": "5/15m",
    # A passkey confirmation (to remove one) counts for this many seconds.
    "PASSKEYS_CONFIRM_SECONDS": 300,
    # Longest name a person may give a passkey (django-otp's Device.name holds 64).
    "PASSKEYS_NAME_MAX_LENGTH": 64,
    # Staff must have a passkey before any admin page (environment variable; the sign-in's admin
    # site reads it here).
    "SIGNIN_STAFF_PASSKEY_REQUIRED": False,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
