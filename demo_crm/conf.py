"""Knobs of the demo CRM, read lazily from settings with these defaults.

The demo CRM is a relying party for ``make run`` only (its URLs are mounted when DEBUG is on);
its client id and secret are known on purpose, printed by ``seed_demo`` and in docs/sso.md.
"""

from django.conf import settings

DEFAULTS = {
    "DEMO_CRM_CLIENT_ID": "demo-crm",
    # Debug only, documented: the demo client exists only where seed_demo ran with DEBUG on.
    "DEMO_CRM_CLIENT_SECRET": "demo-crm-secret-for-debug-only-never-production",
    "DEMO_CRM_SCOPE": "openid profile email phone",
    # The demo CRM's own cookie (never the portal's session cookie) and its session's life.
    "DEMO_CRM_COOKIE": "demo_crm_session",
    "DEMO_CRM_SESSION_SECONDS": 3600,
    # A sign-in started at the demo CRM must come back within this long.
    "DEMO_CRM_PENDING_SECONDS": 600,
    # Each of its HTTP calls to the portal (discovery, JWKS, token, userinfo) gives up after this.
    "DEMO_CRM_HTTP_TIMEOUT": 5,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
