"""Knobs of the temporary access pass, read lazily from settings with these defaults (a setting
of the same name wins; the environment is read only in ``portal/settings.py``)."""

from django.conf import settings

DEFAULTS = {
    # The pass: this many characters from ``access_pass.secret.ALPHABET`` (12: about 59 bits).
    "ACCESS_PASS_LENGTH": 12,
    "ACCESS_PASS_TTL_SECONDS": 3600,  # 1 hour, as Entra's default
    "ACCESS_PASS_MAX_TRIES": 5,  # wrong tries that kill a pass
    # A second agent's approval of a pass for a privileged account is good for this long.
    "ACCESS_PASS_APPROVAL_SECONDS": 3600,
    # Wrong passes per hour, per client IP and per name typed (the same for every name; each
    # wrong pass is also one failure on the sign-in's shared IP counter, signin.lockout).
    "ACCESS_PASS_IP_FAILURES_PER_HOUR": 20,
    "ACCESS_PASS_TYPED_FAILURES_PER_HOUR": 10,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
