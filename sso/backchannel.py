"""OpenID Connect Back-Channel Logout 1.0: the logout token and its body.

When a person's sign-in at a client ends (``sso.services.app_signins_end``), a client that
registered a ``backchannel_logout_uri`` gets a form POST ``logout_token=<JWT>`` through the
messaging outbox (its HTTP channel: durable, retried with backoff, audited ``sso.logout_sent`` /
``sso.logout_failed``). The outbox row keeps only the claims' ingredients (client, ``sub``,
``sid``, ``jti``); the token is signed at each attempt (``logout_body``, the builder
``MESSAGING_HTTP_BODIES`` names), so a retry never carries an expired one, and is never stored.

The token: RS256 with the provider's signing key (``kid`` in the header, ``typ`` ``logout+jwt``),
claims ``iss``, ``aud`` (the client id), ``iat``, ``exp`` (``SSO_LOGOUT_TOKEN_SECONDS``), ``jti``
(the same at every attempt), ``sub``, ``sid`` and ``events``; never a ``nonce``.
"""

from __future__ import annotations

import json
import time

from jwcrypto import jwt
from oauth2_provider.settings import oauth2_settings

from messaging.errors import PermanentDeliveryError
from sso import conf
from sso.models import Client

KIND = "sso_backchannel_logout"
EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_claims(*, client: Client, sub: str, sid: str, jti: str, now: int | None = None) -> dict:
    issued = int(time.time() if now is None else now)
    claims = {
        "iss": oauth2_settings.oidc_issuer(None),
        "aud": client.client_id,
        "iat": issued,
        "exp": issued + int(conf.get("SSO_LOGOUT_TOKEN_SECONDS")),
        "jti": jti,
        "sub": sub,
        "events": {EVENT: {}},
    }
    if sid:
        claims["sid"] = sid
    return claims


def logout_token(*, client: Client, sub: str, sid: str, jti: str) -> str:
    """The signed logout token (RS256, the key that signs ID tokens)."""
    key = client.jwk_key
    header = {"typ": "logout+jwt", "alg": "RS256", "kid": key.thumbprint()}
    token = jwt.JWT(
        header=json.dumps(header),
        claims=json.dumps(logout_claims(client=client, sub=sub, sid=sid, jti=jti)),
    )
    token.make_signed_token(key)
    return token.serialize()


def logout_params(*, client: Client, sub: str, sid: str, jti: str) -> dict:
    """What the outbox row keeps: no token, only what one is made from."""
    return {"client": client.pk, "sub": sub, "sid": sid, "jti": jti}


def logout_body(*, message) -> dict[str, str]:
    """``MESSAGING_HTTP_BODIES``' builder for ``KIND``: the form, signed now."""
    params = message.params or {}
    client = Client.objects.filter(pk=params.get("client")).first()
    if client is None:
        raise PermanentDeliveryError("the client no longer exists")
    return {
        "logout_token": logout_token(
            client=client, sub=params["sub"], sid=params.get("sid", ""), jti=params["jti"]
        )
    }
