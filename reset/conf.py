"""Knobs of the self-service password reset, read lazily from settings with these defaults.

Any of these can be overridden by a setting of the same name (tests use ``settings``), never by
reading the environment here. The one-time code's own knobs (``CODE_*``) are the accounts app's.
"""

from django.conf import settings

DEFAULTS = {
    "RESET_FLOW_TTL_SECONDS": 3600,  # a reset must be finished within an hour of starting
    "RESET_NEW_PASSWORD_SECONDS": 900,  # after the code, 15 minutes to choose the password
    "RESET_IP_SENDS_PER_HOUR": 20,  # codes one client address may ask for
    "RESET_IP_FAILURES_PER_HOUR": 50,  # wrong codes one client address may type
    "RESET_BLOCK_AFTER_FAILURES": 20,  # consecutive wrong codes that block self-service reset
    "RESET_BLOCK_HOURS": 24,
    "RESET_INVITE_TTL_SECONDS": 3600,  # an agent's reset link works for an hour, once
    # The lock page offers an unlock with a code (no reset); env SELF_UNLOCK_ENABLED.
    "SELF_UNLOCK_ENABLED": True,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
