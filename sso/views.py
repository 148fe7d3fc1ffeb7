"""The provider's endpoints: django-oauth-toolkit's views, extended, never copied.

What the portal adds: every parameter is checked first (a NUL byte or a value longer than
``SSO_MAX_PARAMETER_LENGTH`` is a 400, never a 500); the authorize step is the sign-in's door
(the maintenance guard wraps it in sso/urls.py) with the portal's own consent and error pages;
the token endpoint speaks only the code and refresh grants and audits each refusal with its
reason; discovery states exactly what is offered (RS256 only, S256 only, the code flow only);
RP-initiated logout checks ``post_logout_redirect_uri`` against the client's registered list and
never builds a URL from the Host header.
"""

from __future__ import annotations

import json
from http import HTTPStatus
from urllib.parse import urlsplit

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from oauth2_provider import views as dot
from oauth2_provider.exceptions import InvalidOIDCClientError
from oauth2_provider.models import get_access_token_model
from oauth2_provider.signals import app_authorized

from sso import conf, portal_sessions, services
from sso.models import Client, Profile
from sso.validator import digest

GRANT_TYPES = {"authorization_code", "refresh_token"}


def _bad_parameter(request: HttpRequest) -> str | None:
    """The name of the first parameter no client sends (NUL byte, too long), or None."""
    limit = int(conf.get("SSO_MAX_PARAMETER_LENGTH"))
    for params in (request.GET, request.POST):
        for name, values in params.lists():
            if len(name) > 64 or "\x00" in name:
                return name[:64].replace("\x00", "")
            if any(len(value) > limit or "\x00" in value for value in values):
                return name
    return None


def _json_error(error: str, description: str, status=HTTPStatus.BAD_REQUEST) -> JsonResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    add_never_cache_headers(response)
    return response


class ParameterGuardMixin:
    """A 400 for parameters no client sends, before django-oauth-toolkit reads them."""

    def dispatch(self, request, *args, **kwargs):
        name = _bad_parameter(request)
        if name is not None:
            return self.bad_parameter_response(request, name)
        return super().dispatch(request, *args, **kwargs)

    def bad_parameter_response(self, request, name: str) -> HttpResponse:
        return _json_error("invalid_request", f"The parameter {name!r} is not acceptable.")


class AuthorizeView(ParameterGuardMixin, dot.AuthorizationView):
    """``/o/authorize/``: not signed in, the portal's sign-in page (``next`` brings the browser
    back); signed in, a trusted client gets its code at once, others see one consent page. A
    request that is not valid for a registered client (unknown client, a redirect URI not
    registered) gets an error page and is never redirected."""

    template_name = "sso/authorize.html"

    def bad_parameter_response(self, request, name):
        return _error_page(request)

    def error_response(self, error, application, **kwargs):
        response = super().error_response(error, application, **kwargs)
        if response.status_code >= 500:  # never; an error of the client is a 4xx
            response.status_code = HTTPStatus.BAD_REQUEST
        return response

    def render_to_response(self, context, **kwargs):
        response = super().render_to_response(context, **kwargs)
        redirect_uri = context.get("redirect_uri")
        if redirect_uri and not context.get("error"):
            # The consent form posts here and is answered by a redirect to the client's
            # registered URI (already checked): the page's form-action must allow its origin.
            parts = urlsplit(redirect_uri)
            response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}
        return response

    def create_authorization_response(self, request, scopes, credentials, allow):
        if allow and request.user.is_authenticated:
            # The browser session the code is issued in: the app sign-in it begins, and sid.
            credentials = {**credentials, **portal_sessions.authorization_credentials(request)}
        return super().create_authorization_response(request, scopes, credentials, allow)

    def form_valid(self, form):
        if not Client.objects.filter(client_id=form.cleaned_data.get("client_id")).exists():
            return _error_page(self.request)
        return super().form_valid(form)

    def form_invalid(self, form):
        return _error_page(self.request)


def _error_page(request: HttpRequest) -> HttpResponse:
    response = render(request, "sso/authorize.html", {"invalid": True}, status=400)
    add_never_cache_headers(response)
    return response


@method_decorator(csrf_exempt, name="dispatch")  # a client, not a browser form
class TokenView(ParameterGuardMixin, dot.TokenView):
    """``/o/token/``: the authorization code and refresh token grants; every refusal audited
    with its reason (never with the code, token or secret)."""

    def post(self, request, *args, **kwargs):
        grant_type = request.POST.get("grant_type", "")
        if grant_type not in GRANT_TYPES:
            self._refused(request, "unsupported_grant_type")
            return _json_error("unsupported_grant_type", "Use authorization_code or refresh_token.")
        response = super().post(request, *args, **kwargs)
        if response.status_code != HTTPStatus.OK:
            self._refused(request, _error_code(response))
        return response

    @method_decorator(sensitive_post_parameters("password", "client_secret"))
    def authorization_flow_token_response(self, request, *args, **kwargs):
        """DOT's, without its read of the issued access token back from the database when
        nothing receives the ``app_authorized`` signal it reads it for (nothing in the portal
        does: the validator records the issuance in the exchange's transaction). With a
        receiver, DOT's own, unchanged."""
        if app_authorized.has_listeners(sender=self):
            return super().authorization_flow_token_response(request, *args, **kwargs)
        _url, headers, body, status = self.create_token_response(request)
        response = HttpResponse(content=body, status=status)
        for name, value in headers.items():
            response[name] = value
        return response

    def _refused(self, request, reason: str) -> None:
        services.refusal_record(
            request=request,
            endpoint="token",
            client_id=request.POST.get("client_id", "") or _basic_client_id(request),
            reason=reason,
        )


def _error_code(response: HttpResponse) -> str:
    try:
        return str(json.loads(response.content).get("error", "error"))
    except (ValueError, AttributeError):
        return "error"


def _basic_client_id(request: HttpRequest) -> str:
    import base64
    import binascii
    from urllib.parse import unquote_plus

    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Basic":
        return ""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return unquote_plus(decoded.partition(":")[0])


@method_decorator(csrf_exempt, name="dispatch")  # a client, not a browser form
class RevokeView(ParameterGuardMixin, dot.RevokeTokenView):
    pass


@method_decorator(csrf_exempt, name="dispatch")  # a client, not a browser form
class IntrospectView(ParameterGuardMixin, dot.IntrospectTokenView):
    """RFC 7662 for resource servers (client credentials or a token with the ``introspection``
    scope), POST only (a token never in a URL); a disabled account's token is inactive."""

    http_method_names = ["post", "options"]

    @staticmethod
    def get_token_response(token_value=None):
        response = dot.IntrospectTokenView.get_token_response(token_value)
        if token_value is not None and json.loads(response.content).get("active"):
            checksum = digest(token_value)
            token = (
                get_access_token_model().objects.select_related("user").get(token_checksum=checksum)
            )
            if token.user is not None and not token.user.is_active:
                return JsonResponse({"active": False})
        return response


@method_decorator(csrf_exempt, name="dispatch")  # a client, not a browser form
class UserInfoView(ParameterGuardMixin, dot.UserInfoView):
    """GET and POST with the bearer header. An access token in the query string (it ends up in
    logs and Referer headers) only for a client whose profile needs it (销售易's connector)."""

    def get(self, request, *args, **kwargs):
        token = request.GET.get("access_token")
        if token is not None and not _query_token_allowed(token):
            return _json_error(
                "invalid_request", "Send the access token in the Authorization header."
            )
        return super().get(request, *args, **kwargs)


def _query_token_allowed(token: str) -> bool:
    checksum = digest(token)
    row = (
        get_access_token_model()
        .objects.filter(token_checksum=checksum)
        .values_list("application__profile", flat=True)
        .first()
    )
    return row == Profile.XIAOSHOUYI


class DiscoveryView(dot.ConnectDiscoveryInfoView):
    """``/.well-known/openid-configuration``: DOT's document, stating only what is offered."""

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        issuer = data["issuer"]
        data.update(
            {
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": sorted(GRANT_TYPES),
                "response_modes_supported": ["query"],
                "revocation_endpoint": issuer + reverse("oauth2_provider:revoke-token"),
                "introspection_endpoint": issuer + reverse("oauth2_provider:introspect"),
                "claims_supported": sorted(set(data.get("claims_supported", []))),
                "prompt_values_supported": ["none", "login"],
                "ui_locales_supported": ["zh-Hans", "en"],
                # OpenID Connect Back-Channel Logout 1.0 (sso.backchannel); sid always sent.
                "backchannel_logout_supported": True,
                "backchannel_logout_session_supported": True,
            }
        )
        new = JsonResponse(data)
        new["Access-Control-Allow-Origin"] = "*"
        return new


class JwksView(dot.JwksInfoView):
    pass


class LogoutView(ParameterGuardMixin, dot.RPInitiatedLogoutView):
    """RP-initiated logout: an unknown client, a ``post_logout_redirect_uri`` that is not
    registered or an ID token of another client is an error page, never a redirect."""

    template_name = "sso/logout.html"

    def bad_parameter_response(self, request, name):
        return self.render_to_response({"error": InvalidOIDCClientError()}, status=400)

    def get_request_application(self, id_token, client_id):
        if client_id:
            client = Client.objects.filter(client_id=client_id).first()
            if client is None:
                raise InvalidOIDCClientError()
            return client
        return super().get_request_application(id_token, client_id)

    def do_logout(
        self, application=None, post_logout_redirect_uri=None, state=None, token_user=None
    ):
        user = token_user or self.request.user
        if user.is_authenticated:
            services.tokens_revoke(user=user, reason="rp_logout", request=self.request)
        if post_logout_redirect_uri:  # checked against the client's list by DOT before this
            return super().do_logout(application, post_logout_redirect_uri, state, token_user)
        logout(self.request)
        return HttpResponseRedirect(reverse("home"))
