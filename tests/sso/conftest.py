from __future__ import annotations

import pytest

from tests.sso.fake_rp import FakeLogoutEndpoint


@pytest.fixture
def app():
    """A fake app's back-channel logout endpoint on a loopback port."""
    with FakeLogoutEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def portal(live_server, settings):
    """The live server as the issuer, for clients that speak HTTP to it (cookies without Secure:
    it speaks http)."""
    settings.OAUTH2_PROVIDER = {**settings.OAUTH2_PROVIDER, "OIDC_ISS_ENDPOINT": live_server.url}
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CSRF_TRUSTED_ORIGINS = [live_server.url]
    return live_server.url
