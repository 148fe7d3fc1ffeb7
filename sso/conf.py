"""Knobs of the single sign-on app, read lazily from settings with these defaults.

``SSO_SUBJECT``, ``SSO_ACCESS_TOKEN_MINUTES``, ``SSO_REFRESH_TOKEN_DAYS`` and the signing keys
come from the environment (portal/settings.py reads it; the README lists every variable).
"""

from __future__ import annotations

from django.conf import settings

DEFAULTS = {
    # What ``sub`` is: "uuid" (a random per-person UUID) or "employee_id".
    "SSO_SUBJECT": "uuid",
    # Longest value accepted in any one parameter of the provider's endpoints; longer is a 400.
    "SSO_MAX_PARAMETER_LENGTH": 4096,
    # A logout token is valid this long after it is signed (signed again at each attempt).
    "SSO_LOGOUT_TOKEN_SECONDS": 120,
    # A back-channel logout still undelivered this long after the sign-out is dropped (failed).
    "SSO_LOGOUT_DELIVERY_SECONDS": 3600,
    # A client's logo (sso.logos): the largest upload, the most pixels it may declare (checked
    # before decoding: no decompression bomb), the side of the square it is scaled to fit, and
    # the most its re-encoded bytes may take in the database.
    "SSO_LOGO_MAX_UPLOAD_BYTES": 2_000_000,
    "SSO_LOGO_MAX_PIXELS": 4096 * 4096,
    "SSO_LOGO_SIZE": 256,
    "SSO_LOGO_STORED_MAX_BYTES": 200_000,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
