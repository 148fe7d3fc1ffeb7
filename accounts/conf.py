"""Knobs of the accounts app, read lazily from settings with these defaults.

Any of these can be overridden by a setting of the same name (tests use ``settings``), never by
reading the environment here: environment variables are read only in ``portal/settings.py``.
"""

from django.conf import settings

DEFAULTS = {
    "PASSWORD_HISTORY_COUNT": 5,  # the current password and this many earlier ones are refused
    "PASSWORD_MAX_LENGTH": 128,
    # --- One-time codes sent by email or SMS (accounts.codes) ---------------------------------
    "CODE_TTL_SECONDS": 600,  # a code lives 10 minutes (NIST, ASVS V6.6.2)
    "CODE_MAX_TRIES": 5,  # wrong tries per code, kept across resends (Twilio Verify: 5)
    "CODE_RESEND_COOLDOWN_SECONDS": 60,
    "CODE_SENDS_PER_HOUR": 5,  # per account and purpose
    "CODE_SMS_PER_HOUR": 3,  # SMS codes per account (and per typed identifier in a reset)
    "CODE_TRIES_WINDOW_SECONDS": 3600,  # a device stopped by wrong tries opens again after this
    # --- The security page --------------------------------------------------------------------
    "CONTACT_PROMPT_SKIPS": 3,  # times a user without a verified contact may skip adding one
    "BACKUP_CODE_COUNT": 10,
    "TOTP_ISSUER": "Account Portal",
    # Dotted name of ``f(*, user, limit) -> rows`` giving the page's "Unlock requests" section
    # (the tickets app's reader: a higher layer, so named here, never imported).
    "ACCOUNTS_UNLOCK_REQUESTS": "tickets.selectors.unlock_requests_for_user",
    # Dotted names of the sign-in app's session records (a higher layer, ``accounts.sessions``):
    # ``f(*, user, except_session_key) -> int`` ends sessions on a password change,
    # ``f(*, old_key, new_key)`` follows a cycled key, and the page's two lists.
    "ACCOUNTS_SESSIONS_END": "signin.session_records.sessions_end_for_user",
    "ACCOUNTS_SESSION_REKEY": "signin.session_records.session_rekey",
    "ACCOUNTS_SIGNINS_RECENT": "signin.selectors.signins_recent_for_user",
    "ACCOUNTS_SESSIONS_OPEN": "signin.selectors.sessions_open_for_user",
    # Dotted name of ``f(*, user) -> rows`` (each with ``client``, ``since``, ``last_used``):
    # the apps the person is signed in to through the portal (the single sign-on app's reader,
    # a higher layer). "Sign out of this app" posts to ``accounts:app_signout``.
    "ACCOUNTS_APP_SIGNINS": "sso.selectors.apps_signed_in_for_user",
    # Dotted name of ``f(*, user) -> {"count", "rows"}``: the person's passkeys for the security
    # page's card (the passkeys app's reader, a higher layer); empty hides the card.
    "ACCOUNTS_PASSKEYS": "passkeys.selectors.passkeys_summary",
    # Dotted name of ``f(*, user, raw_password, reason) -> bool`` that writes a new password to
    # where else it lives (the company directory app, a higher layer), last of
    # ``user_password_set``'s writes: its ``ValidationError`` refuses the password and rolls
    # everything back. Empty: the portal's own record only.
    "ACCOUNTS_PASSWORD_WRITE": "directory.services.password_write",
    # Dotted names of ``f(*, stdout)`` that ``seed_demo`` calls after the people (higher layers'
    # demo data, e.g. the demo CRM's client: named here, never imported).
    "ACCOUNTS_DEMO_SEEDERS": ["demo_crm.seed.demo_crm_seed"],
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
