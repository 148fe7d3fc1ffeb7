"""Access tokens of the messenger apps, cached in the shared cache (Redis in production), so
every worker uses one token per app until shortly before it expires.

A token is fetched when none is cached or when it has less than
``MESSENGER_TOKEN_REFRESH_MARGIN_SECONDS`` left, and dropped at once when the provider refuses
it (``TokenRejected``: WeCom 40014/42001/41001, DingTalk 40014/42001/88, Feishu 99991663/
99991664/99991661). Its cache name is a digest of the app's id under the signing key, never the
id; the token itself is a secret and never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import salted_hmac

from messaging import conf
from messaging.messengers.errors import TokenRejected
from portal.keys import signing_keys

logger = logging.getLogger(__name__)

# fetch() -> (token, seconds it lives)
Fetch = Callable[[], tuple[str, int]]


def _name(provider: str, app: str) -> str:
    digest = salted_hmac(
        "messaging.messengers.tokens", f"{provider}\x00{app}", secret=signing_keys()[0]
    )
    return f"messenger-token:{provider}:{digest.hexdigest()[:32]}"


def token_get(*, provider: str, app: str, fetch: Fetch) -> str:
    """The app's cached token, or a fresh one (cached for its life less the margin)."""
    name = _name(provider, app)
    now = timezone.now().timestamp()
    stored = cache.get(name)
    margin = int(conf.get("MESSENGER_TOKEN_REFRESH_MARGIN_SECONDS"))
    if isinstance(stored, dict) and stored.get("until", 0) - margin > now:
        return stored["token"]
    token, lifetime = fetch()
    cache.set(name, {"token": token, "until": now + lifetime}, timeout=max(lifetime, 60))
    logger.info("messenger %s: new access token (lives %s s)", provider, lifetime)
    return token


def token_drop(*, provider: str, app: str) -> None:
    cache.delete(_name(provider, app))


def with_token(*, provider: str, app: str, fetch: Fetch, send: Callable[[str], str]) -> str:
    """``send(token)``; when the provider refuses the token, drop it, fetch a new one and send
    once more (a second refusal is the error it is)."""
    try:
        return send(token_get(provider=provider, app=app, fetch=fetch))
    except TokenRejected:
        logger.info("messenger %s: access token refused; fetching a new one", provider)
        token_drop(provider=provider, app=app)
        return send(token_get(provider=provider, app=app, fetch=fetch))
