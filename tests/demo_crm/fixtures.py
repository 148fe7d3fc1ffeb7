"""The demo CRM against the live server: the portal's issuer is the live server's address, http
redirect URIs allowed (as in debug), the demo CRM's URLs mounted, its client registered."""

from __future__ import annotations

import pytest

from demo_crm.seed import demo_client_ensure


@pytest.fixture
def demo_portal(live_server, settings):
    settings.ROOT_URLCONF = "tests.demo_crm.urls_debug"
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_ISS_ENDPOINT": live_server.url,
        "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"],
        "ALLOWED_SCHEMES": ["https", "http"],
        "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": False,
    }
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    demo_client_ensure(base_url=live_server.url)
    return live_server.url
