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
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
