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
    # After signing in with a pass the session may open only the enrolment pages until a new
    # password is set or a passkey registered. The passkey part (another app) is reached by URL
    # name (a name that does not resolve: no passkey offered); its page and JSON endpoints are
    # allowed by prefix.
    "ACCESS_PASS_PASSKEY_URL_NAME": "passkeys:register",
    "ACCESS_PASS_PASSKEY_PREFIXES": ["/account/passkeys/add/"],
    # Dotted name of ``f(*, user) -> int``: how many passkeys the user has; a number above the
    # one at the pass's sign-in means one was registered. Empty: 0.
    "ACCESS_PASS_PASSKEY_COUNT": "access_pass.door.passkey_count_webauthn",
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
