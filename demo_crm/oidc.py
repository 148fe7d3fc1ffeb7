"""The demo CRM's side of OpenID Connect, over real HTTP to the portal's own endpoints (found by
discovery at the address the browser used): the authorization request with ``state``, ``nonce``
and PKCE S256, the code exchange (``client_secret_basic``), the ID token's validation against the
JWKS (RS256, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``), userinfo, RP-initiated logout, and
the back-channel logout token's validation (OpenID Connect Back-Channel Logout 1.0, 2.6)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import requests
from jwcrypto import jwk, jwt
from jwcrypto.common import JWException

from demo_crm import conf

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
# A logout token older than this is refused even if its exp is later (clock skew allowed).
LOGOUT_TOKEN_MAX_AGE = 300


class SignInError(Exception):
    """The sign-in or the logout token cannot be accepted; the message says why (no secret)."""


@dataclass
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


def _timeout() -> float:
    return float(conf.get("DEMO_CRM_HTTP_TIMEOUT"))


def provider_discover(*, base_url: str) -> Provider:
    """The portal's discovery document, read at ``base_url`` (the address the browser used)."""
    try:
        response = requests.get(
            base_url.rstrip("/") + "/.well-known/openid-configuration", timeout=_timeout()
        )
        response.raise_for_status()
        doc = response.json()
        return Provider(
            issuer=doc["issuer"],
            authorization_endpoint=doc["authorization_endpoint"],
            token_endpoint=doc["token_endpoint"],
            userinfo_endpoint=doc["userinfo_endpoint"],
            jwks_uri=doc["jwks_uri"],
            end_session_endpoint=doc.get("end_session_endpoint", ""),
        )
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise SignInError(f"discovery failed ({exc.__class__.__name__})") from None


def _jwks(provider: Provider) -> jwk.JWKSet:
    try:
        response = requests.get(provider.jwks_uri, timeout=_timeout())
        response.raise_for_status()
        return jwk.JWKSet.from_json(response.text)
    except (requests.RequestException, JWException, ValueError) as exc:
        raise SignInError(f"the JWKS could not be read ({exc.__class__.__name__})") from None


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_start(*, provider: Provider, redirect_uri: str) -> tuple[str, dict]:
    """The URL to send the browser to, and what the demo CRM keeps until it comes back."""
    verifier, challenge = pkce_pair()
    pending = {
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": verifier,
        "redirect_uri": redirect_uri,
        "started": int(time.time()),
    }
    query = {
        "response_type": "code",
        "client_id": conf.get("DEMO_CRM_CLIENT_ID"),
        "redirect_uri": redirect_uri,
        "scope": conf.get("DEMO_CRM_SCOPE"),
        "state": pending["state"],
        "nonce": pending["nonce"],
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    return provider.authorization_endpoint + "?" + urlencode(query), pending


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())


def _verified_claims(*, token: str, keys: jwk.JWKSet, issuer: str) -> tuple[dict, dict]:
    """The header and claims of a JWT signed RS256 by one of ``keys``, for this client, from
    ``issuer``, not expired."""
    try:
        verified = jwt.JWT(
            jwt=token,
            key=keys,
            algs=["RS256"],
            check_claims={
                "iss": issuer,
                "aud": conf.get("DEMO_CRM_CLIENT_ID"),
                "exp": None,
                "iat": None,
            },
        )
        return json.loads(verified.header), json.loads(verified.claims)
    except (JWException, ValueError, TypeError) as exc:
        raise SignInError(f"the token does not verify ({exc.__class__.__name__})") from None


def sign_in_complete(*, provider: Provider, pending: dict, params: dict) -> dict:
    """Check the callback (``state``), exchange the code (with the PKCE verifier), verify the ID
    token (JWKS, ``nonce``) and read userinfo. Returns the signed-in user's record."""
    if params.get("error"):
        raise SignInError(f"the portal answered {params['error']}")
    if not pending or not _same(params.get("state", ""), pending.get("state", "")):
        raise SignInError("state does not match the sign-in this browser started")
    if int(time.time()) - int(pending.get("started", 0)) > int(
        conf.get("DEMO_CRM_PENDING_SECONDS")
    ):
        raise SignInError("the sign-in took too long")
    if params.get("iss") and params["iss"] != provider.issuer:
        raise SignInError("the authorization response came from another issuer")
    code = params.get("code", "")
    if not code:
        raise SignInError("no code")
    try:
        answer = requests.post(
            provider.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": pending["redirect_uri"],
                "code_verifier": pending["verifier"],
            },
            auth=(conf.get("DEMO_CRM_CLIENT_ID"), conf.get("DEMO_CRM_CLIENT_SECRET")),
            timeout=_timeout(),
        )
        tokens = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise SignInError(f"the token request failed ({exc.__class__.__name__})") from None
    if answer.status_code != 200 or "id_token" not in tokens:
        raise SignInError(f"the token endpoint answered {tokens.get('error', answer.status_code)}")
    _header, claims = _verified_claims(
        token=tokens["id_token"], keys=_jwks(provider), issuer=provider.issuer
    )
    if not _same(claims.get("nonce", ""), pending["nonce"]):
        raise SignInError("nonce does not match")
    try:
        info = requests.get(
            provider.userinfo_endpoint,
            headers={"Authorization": "Bearer " + tokens["access_token"]},
            timeout=_timeout(),
        )
        info.raise_for_status()
        userinfo = info.json()
    except (requests.RequestException, ValueError, KeyError) as exc:
        raise SignInError(f"userinfo failed ({exc.__class__.__name__})") from None
    if userinfo.get("sub") != claims.get("sub"):
        raise SignInError("userinfo is about someone else")
    return {
        "sub": claims["sub"],
        "sid": claims.get("sid", ""),
        "id_token_claims": claims,
        "userinfo": userinfo,
        # Kept for RP-initiated logout's id_token_hint only.
        "id_token": tokens["id_token"],
        "signed_in_at": int(time.time()),
    }


def logout_url(*, provider: Provider, id_token: str, post_logout_redirect_uri: str) -> str:
    """RP-initiated logout: the portal's end-session endpoint, then back to the demo CRM."""
    query = {
        "id_token_hint": id_token,
        "client_id": conf.get("DEMO_CRM_CLIENT_ID"),
        "post_logout_redirect_uri": post_logout_redirect_uri,
    }
    return provider.end_session_endpoint + "?" + urlencode(query)


def logout_token_verify(*, provider: Provider, token: str) -> dict:
    """A back-channel logout token validated as the specification's 2.6 says: signature against
    the JWKS (RS256), ``iss``, ``aud``, ``iat`` recent, ``exp``, the back-channel ``events``
    member, no ``nonce``, and a ``sid`` or a ``sub``. Returns its claims."""
    header, claims = _verified_claims(token=token, keys=_jwks(provider), issuer=provider.issuer)
    if header.get("typ") not in (None, "logout+jwt", "JWT"):
        raise SignInError("not a logout token")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise SignInError("no back-channel logout event")
    if "nonce" in claims:
        raise SignInError("a logout token never carries a nonce")
    if not claims.get("sid") and not claims.get("sub"):
        raise SignInError("neither sid nor sub")
    if int(time.time()) - int(claims["iat"]) > LOGOUT_TOKEN_MAX_AGE:
        raise SignInError("the logout token is too old")
    return claims
