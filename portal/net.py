"""Who is the client? Only ``REMOTE_ADDR`` and the configured, trusted proxy chain decide.

With ``TRUSTED_PROXY_COUNT = n`` the portal sits behind exactly ``n`` proxies that each append the
address they saw to ``X-Forwarded-For``. The client is then the n-th address from the right; every
address to the left of it was written by the client and is ignored, so a forged header neither
evades a limit nor frames someone else.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

from portal.browsers import describe

MAX_UA_LENGTH = 255


def _valid_ip(value: str) -> str | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    remote = _valid_ip(request.META.get("REMOTE_ADDR", "")) or "0.0.0.0"  # noqa: S104 (an address, not a bind)
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < count:
        # The chain is shorter than configured: someone reached us around the proxy.
        return remote
    return _valid_ip(hops[-count]) or remote


def user_agent(request: HttpRequest) -> str:
    raw = request.META.get("HTTP_USER_AGENT", "")
    cleaned = "".join(ch for ch in raw if ch.isprintable())
    return cleaned[:MAX_UA_LENGTH]


def browser_label(ua: str) -> str:
    """A short human label for a user agent ("Chrome 120 on Windows")."""
    return describe(ua)
