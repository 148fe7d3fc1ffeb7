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
import json

from django.db import router, transaction
from django.http import HttpRequest
from oauth2_provider.models import (
    get_access_token_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from sso import claims, services
from sso.hashers import ClientSecretHasher
from sso.models import AppSignIn, Client

AccessToken = get_access_token_model()
Grant = get_grant_model()
IDToken = get_id_token_model()
RefreshToken = get_refresh_token_model()


def digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def http_of(request) -> HttpRequest:
    """A Django request carrying the oauthlib request's headers (client IP and browser for
    the audit row; ``portal.net`` reads only ``META``)."""
    http = HttpRequest()
    http.META = dict(request.headers or {})
    return http


class _CodeLost(Exception):
    """The code was deleted by another exchange between this one's read and its delete."""


def _usable(user) -> bool:
    return user is not None and user.is_active


class PortalValidator(OAuth2Validator):
    # --- One read of the code's grant per request ---------------------------------------------
    # DOT reads the grant row again in each hook of the code exchange (the code, the redirect
    # URI, the PKCE challenge and method, the scopes, the nonce): five reads of one row. The row
    # read first (with its client, its person and the person's subject) is kept on the oauthlib
    # request (the validator itself is shared by every request and thread) and answers every
    # hook for the client it belongs to; its deletion (the single use) still asks the database,
    # in the transaction that issues the tokens (``save_bearer_token``).
    @staticmethod
    def _grant(code, client, request):
        grants = vars(request).setdefault("_sso_grants", {}) if request is not None else {}
        if code not in grants:
            try:
                grants[code] = Grant.objects.select_related(
                    "application", "user", "user__sso_subject"
                ).get(code=code)
            except Grant.DoesNotExist:
                grants[code] = None
            if grants[code] is not None and request is not None and not request.client:
                # DOT's client cache: used by client authentication only when its client_id is
                # the one authenticating (the secret is checked all the same).
                request.client = grants[code].application
        grant = grants[code]
        if grant is None or (client is not None and grant.application_id != client.pk):
            return None  # before the client is known (DOT's dispatcher): by code only
        return grant

    def _grant_of(self, code, request):
        return self._grant(code, getattr(request, "client", None), request)

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, *args, **kwargs):
        request = args[0] if args else kwargs.get("request")
        grant = self._grant(code, client, request)
        return grant is not None and grant.redirect_uri_allowed(redirect_uri)

    def get_code_challenge(self, code, request):
        grant = self._grant_of(code, request)
        return (grant.code_challenge or None) if grant else None

    def get_code_challenge_method(self, code, request):
        grant = self._grant_of(code, request)
        return (grant.code_challenge_method or None) if grant else None

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._grant_of(code, request)
        return grant.scope.split() if grant and grant.scope else []

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._grant_of(code, request)
        return (grant.nonce or None) if grant else None

    def _validate_grant(self, client_id, code, client, request) -> bool:
        """DOT's ``validate_code`` on the memoised row."""
        grant = self._grant(code, client, request)
        if grant is None or grant.is_expired():
            return False
        request.scopes = grant.scope.split(" ")
        request.user = grant.user
        if grant.nonce:
            request.nonce = grant.nonce
        if grant.claims:
            request.claims = json.loads(grant.claims)
        return True

    # --- Client secrets ---------------------------------------------------------------------
    def _check_secret(self, provided_secret, stored_secret):
        """DOT's check; a secret that matches a hash of the slow password hasher (stored before
        ``sso.hashers``) is stored again with the client-secret hasher."""
        ok = super()._check_secret(provided_secret, stored_secret)
        if ok and not stored_secret.startswith(ClientSecretHasher.algorithm + "$"):
            services.client_secret_rehash(stored=stored_secret, secret=provided_secret)
        return ok

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
        if not self._validate_grant(client_id, code, client, request):
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
        """The code was deleted (its single use) and its use recorded in the transaction that
        issued its tokens (``save_bearer_token``); DOT's deletion only for a caller that did
        not go through it."""
        if not getattr(request, "sso_code_used", False):
            super().invalidate_authorization_code(client_id, code, request, *args, **kwargs)

    # --- Tokens -----------------------------------------------------------------------------
    # The code exchange is one transaction: the ID token, the access and refresh tokens, the app
    # sign-in, the audit row, the code's deletion and the record of its use. The code is deleted
    # after the tokens are written and before anything commits: of two exchanges of one code at
    # once, the second waits on the first's row lock and then deletes nothing, so everything it
    # wrote is rolled back and it revokes what the first issued (a replayed code).
    def save_bearer_token(self, token, request, *args, **kwargs):
        code = request.code if request.grant_type == "authorization_code" else None
        try:
            with transaction.atomic(using=router.db_for_write(AccessToken)):
                self._save_bearer_token(token, request, *args, **kwargs)
                if code is not None:
                    self._code_use(code, request)
        except _CodeLost:
            # Two exchanges of one code at once: this one lost (its writes are rolled back).
            services.code_replay_handle(
                code_digest=digest(code), client=request.client, request=http_of(request)
            )
            raise errors.InvalidGrantError(request=request) from None

    def _code_use(self, code, request) -> None:
        access_digest, family = request.sso_issued
        if not services.code_exchange_record(
            request=http_of(request),
            client=request.client,
            user=request.user,
            code=code,
            code_digest=digest(code),
            signin_id=getattr(request, "sso_signin", None),
            access_token_digest=access_digest,
            token_family=family,
            scope=request.sso_scope,
        ):
            raise _CodeLost
        request.sso_code_used = True

    def _save_id_token(self, jti, request, expires, *args, **kwargs):
        """The ID token's row, unsaved: it is written with the access token that refers to it,
        in the token's transaction (``_create_access_token``), not in a commit of its own."""
        return IDToken(
            user=request.user,
            scope=request.scope or " ".join(request.scopes),
            expires=expires,
            jti=jti,
            application=request.client,
        )

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        """DOT's, with the ID token row this request made (``_save_id_token``) instead of
        parsing the signed ID token again and reading its client and row back."""
        id_token = getattr(request, "id_token", None) if token.get("id_token") else None
        if id_token is not None and id_token.pk is None:
            id_token.save(force_insert=True)
        access_token = AccessToken(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(access_token, token["access_token"])
        access_token.save(force_insert=True)
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous
        )
        request.sso_family = refresh_token.token_family
        return refresh_token

    def _save_bearer_token(self, token, request, *args, **kwargs):
        super()._save_bearer_token(token, request, *args, **kwargs)
        id_token = getattr(request, "id_token", None)
        if isinstance(id_token, IDToken) and id_token.pk is None:
            id_token.save(force_insert=True)  # an access token reused (DOT's grace period)
        access_digest = digest(token["access_token"])
        family = getattr(request, "sso_family", None)
        if family is None:
            family = (
                RefreshToken.objects.filter(access_token__token_checksum=access_digest)
                .values_list("token_family", flat=True)
                .first()
            )
        request.sso_issued = (access_digest, family)
        if request.grant_type == "authorization_code":
            request.sso_scope = token.get("scope", "")
            return  # its sign-in and audit row are written with the code's use (_code_use)
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
