"""The one place the portal's rules meet the OAuth 2.0 / OpenID Connect protocol
(``OAUTH2_PROVIDER["OAUTH2_VALIDATOR_CLASS"]``). django-oauth-toolkit and oauthlib own the
protocol; this class only adds the policy:

- PKCE is required unless the client's profile (销售易) cannot send it;
- a disabled account gets no token, and its refresh and access tokens stop working;
- an authorization code is recorded when it is exchanged, and a second exchange revokes what the
  first one issued;
- a replayed (rotated) refresh token revokes its family (DOT's reuse protection), audited;
- the claims: a stable ``sub`` that is not the database id, and the standard profile, email and
  phone claims; ``sid`` (the portal browser session) in the ID token;
- each code begins an app sign-in (``sso.AppSignIn``), its exchange completes it; a code whose
  sign-in ended meanwhile (the person signed out) gets no token;
- every token issued and every revocation writes an audit row in the same transaction.

Tokens, codes and secrets are never logged or audited, only their client and reason.
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest
from oauth2_provider.models import get_access_token_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from sso import claims, services
from sso.models import AppSignIn, Client

AccessToken = get_access_token_model()
RefreshToken = get_refresh_token_model()


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def http_of(request) -> HttpRequest:
    """A Django request carrying the oauthlib request's headers (client IP and browser for
    the audit row; ``portal.net`` reads only ``META``)."""
    http = HttpRequest()
    http.META = dict(request.headers or {})
    return http


def _usable(user) -> bool:
    return user is not None and user.is_active


class PortalValidator(OAuth2Validator):
    # --- PKCE, per client ---------------------------------------------------------------------
    def is_pkce_required(self, client_id, request):
        client = self._load_application(client_id, request)
        return client is None or client.pkce_required

    # --- Authorization codes ----------------------------------------------------------------
    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        super().save_authorization_code(client_id, code, request, *args, **kwargs)
        sid = getattr(request, "sso_sid", None)
        if sid:  # set by the authorize view (sso.portal_sessions)
            services.app_signin_begin(
                client=request.client,
                user=request.user,
                code_digest=digest(code["code"]),
                sid=sid,
                user_session_id=getattr(request, "sso_user_session_id", None),
                ip=getattr(request, "sso_ip", None),
                user_agent=getattr(request, "sso_user_agent", ""),
            )

    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        if not super().validate_code(client_id, code, client, request, *args, **kwargs):
            if isinstance(client, Client):
                services.code_replay_handle(
                    code_digest=digest(code), client=client, request=http_of(request)
                )
            return False
        if not _usable(request.user):
            request.sso_refusal = "account_disabled"
            return False
        if claims.subject_of(request.user) is None:
            request.sso_refusal = "no_subject"
            return False
        signin = (
            AppSignIn.objects.filter(code_digest=digest(code), client=client)
            .values("pk", "sid", "ended_at")
            .first()
        )
        if signin is not None:
            if signin["ended_at"] is not None:
                request.sso_refusal = "session_ended"
                return False
            request.sso_signin, request.sso_sid = signin["pk"], signin["sid"]
        return True

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        issued = getattr(request, "sso_issued", None)
        try:
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)
        except errors.InvalidGrantError:
            # Two exchanges of one code at once: this one lost. Revoke both.
            services.code_replay_handle(
                code_digest=digest(code), client=request.client, request=http_of(request)
            )
            if issued:
                services.tokens_revoke_issued(
                    access_token_digest=issued[0], token_family=issued[1], reason="code_replayed"
                )
            raise
        services.code_use_record(
            code_digest=digest(code),
            client=request.client,
            user=request.user,
            access_token_digest=issued[0] if issued else "",
            token_family=issued[1] if issued else None,
        )

    # --- Tokens -----------------------------------------------------------------------------
    def _save_bearer_token(self, token, request, *args, **kwargs):
        super()._save_bearer_token(token, request, *args, **kwargs)
        access_digest = digest(token["access_token"])
        family = (
            RefreshToken.objects.filter(access_token__token_checksum=access_digest)
            .values_list("token_family", flat=True)
            .first()
        )
        request.sso_issued = (access_digest, family)
        signin = getattr(request, "sso_signin", None)
        if signin is not None:
            services.app_signin_complete(signin_id=signin, token_family=family)
        elif request.grant_type == "refresh_token" and family is not None:
            services.app_signin_used(token_family=family)
        services.issuance_record(
            request=http_of(request),
            client=request.client,
            user=request.user,
            grant_type=request.grant_type,
            scope=token.get("scope", ""),
        )

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        checksum = digest(refresh_token)
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if not valid:
            family = (
                RefreshToken.objects.filter(token_checksum=checksum, revoked__isnull=False)
                .values_list("token_family", flat=True)
                .first()
            )
            if family is not None:
                # DOT revoked the whole family just now (reuse protection): say so.
                services.revocation_record(
                    request=http_of(request), client=client, reason="refresh_token_reused"
                )
            return False
        if not _usable(request.user):
            request.sso_refusal = "account_disabled"
            return False
        family = getattr(getattr(request, "refresh_token_instance", None), "token_family", None)
        if family is not None:
            request.sso_sid = (
                AppSignIn.objects.filter(token_family=family).values_list("sid", flat=True).first()
            )
        return True

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        return _usable(request.user)

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs):
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        if getattr(request.client, "pk", None) is not None:
            services.revocation_record(
                request=http_of(request), client=request.client, reason="client_revoked"
            )

    # --- Claims -----------------------------------------------------------------------------
    def get_additional_claims(self, request):
        return claims.claims_of(request.user)

    def get_id_token_dictionary(self, token, token_handler, request):
        values, expiration_time = super().get_id_token_dictionary(token, token_handler, request)
        sid = getattr(request, "sso_sid", None)
        if sid:
            values["sid"] = sid
        return values, expiration_time

    def get_discovery_claims(self, request):
        return ["sub", *claims.CLAIM_NAMES]
