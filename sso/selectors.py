"""Reads of the single sign-on app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.db.models import Count, Exists, Max, Min, OuterRef
from django.urls import Resolver404, resolve, reverse
from django.utils.translation import gettext as _
from oauth2_provider.models import get_refresh_token_model

from sso import conf
from sso.models import AppSignIn, Client, ClientLogo, Profile

RefreshToken = get_refresh_token_model()


def client_for_next(next_url: str | None) -> Client | None:
    """The registered client a sign-in's ``next`` is an authorization request of, or None."""
    if not next_url:
        return None
    try:
        parts = urlsplit(next_url)
    except ValueError:
        return None
    if parts.scheme or parts.netloc or parts.path != reverse("oauth2_provider:authorize"):
        return None
    return _client_named(parse_qs(parts.query))


def _client_named(query: dict[str, list[str]]) -> Client | None:
    """The registered client an authorization request's query names: one ``client_id``, or
    None."""
    client_ids = query.get("client_id") or []
    if len(client_ids) != 1 or not client_ids[0].isprintable() or len(client_ids[0]) > 255:
        return None
    return Client.objects.filter(client_id=client_ids[0]).first()


def _is_authorize_path(path: str) -> bool:
    """Whether ``path`` reaches the authorize endpoint, however it is spelled (percent-encoded,
    without its trailing slash, which CommonMiddleware adds back)."""
    path = unquote(path)
    for candidate in (path, path.rstrip("/") + "/"):
        try:
            match = resolve(candidate)
        except Resolver404:
            continue
        if match.view_name == "oauth2_provider:authorize":
            return True
    return False


def next_allowed(next_url: str) -> bool:
    """``SIGNIN_NEXT_ALLOWED``: a sign-in, lock page or reset may carry this local ``next``.
    An authorization request only when it names one registered client and one of that client's
    registered redirect URIs (exact match), so a ``next`` can never send the browser, with a
    code, to an address no admin registered. Any other local path: yes."""
    try:
        parts = urlsplit(next_url)
    except ValueError:
        return False
    if not _is_authorize_path(parts.path):
        return True
    query = parse_qs(parts.query)
    redirect_uris = query.get("redirect_uri") or []
    if len(redirect_uris) != 1 or not redirect_uris[0].isprintable():
        return False
    client = _client_named(query)
    return client is not None and client.redirect_uri_allowed(redirect_uris[0])


def next_form_origins(next_url: str) -> list[str]:
    """``SIGNIN_NEXT_FORM_ORIGINS``: the origin a sign-in form's answer may end at when its
    ``next`` is an authorization request (already allowed by ``next_allowed``): the registered
    redirect URI's. Browsers hold a form's whole redirect chain to the page's ``form-action``,
    so without it the sign-in's last hop, to the app with its code, is blocked."""
    parts = urlsplit(next_url)
    if not _is_authorize_path(parts.path):
        return []
    [redirect_uri] = parse_qs(parts.query).get("redirect_uri") or [""]
    target = urlsplit(redirect_uri)
    return [f"{target.scheme}://{target.netloc}"] if target.scheme and target.netloc else []


def connector_values(client: Client) -> list[tuple[str, str]]:
    """What an admin types into the app's sign-in settings (销售易's 认证连接器 of type OAuth2.0,
    or any OpenID Connect client), label and exact value, in the form's order."""
    issuer = str(settings.OAUTH2_PROVIDER.get("OIDC_ISS_ENDPOINT") or "").rstrip("/")
    in_body = client.profile == Profile.XIAOSHOUYI
    return [
        (_("Authorization URL (GET)"), issuer + reverse("oauth2_provider:authorize")),
        (_("Token URL (POST)"), issuer + reverse("oauth2_provider:token")),
        (_("User info URL (GET)"), issuer + reverse("oauth2_provider:user-info")),
        (_("Client ID"), client.client_id),
        (_("Client secret"), _("the secret copied when this client was created")),
        (_("Scopes"), "openid profile email phone"),
        (
            _("Client authentication at the token URL"),
            "client_secret_post" if in_body else "client_secret_basic",
        ),
        (_("Redirect URI (the app's callback)"), " ".join(client.redirect_uris.split())),
        (_("Claim to match users on"), "email" if conf.get("SSO_SUBJECT") == "uuid" else "sub"),
        (_("Discovery (for apps that read it)"), issuer + "/.well-known/openid-configuration"),
    ]


@dataclass(frozen=True)
class AppSignedIn:
    """An app the person is signed in to now (one row per client, however many browsers)."""

    client: Client
    since: datetime
    last_used: datetime
    sessions: int


def apps_signed_in_for_user(*, user) -> list[AppSignedIn]:
    """The apps ``user`` is signed in to through the portal now: an open sign-in whose refresh
    tokens still work, most recently used first (``ACCOUNTS_APP_SIGNINS``, for /account/).
    Two queries, however many apps and sign-ins."""
    live = RefreshToken.objects.filter(token_family=OuterRef("token_family"), revoked__isnull=True)
    rows = (
        AppSignIn.objects.filter(user=user, ended_at__isnull=True, signed_in_at__isnull=False)
        .filter(Exists(live))
        .values("client_id")
        .annotate(since=Min("signed_in_at"), last_used=Max("last_used_at"), sessions=Count("id"))
        .order_by("-last_used")
    )
    rows = list(rows)
    clients = Client.objects.in_bulk([row["client_id"] for row in rows])
    return [
        AppSignedIn(
            client=clients[row["client_id"]],
            since=row["since"],
            last_used=row["last_used"] or row["since"],
            sessions=row["sessions"],
        )
        for row in rows
        if row["client_id"] in clients
    ]


def app_signins_for_user(*, user, limit: int = 20) -> list[AppSignIn]:
    """The person's sign-ins to apps, newest first, ended ones too (client, time, IP, browser,
    how it ended), for the ticket page and the account timeline. One query."""
    return list(
        AppSignIn.objects.filter(user=user, signed_in_at__isnull=False)
        .select_related("client")
        .order_by("-signed_in_at", "-id")[:limit]
    )


def client_logo_digest(*, client_pk: int) -> str | None:
    """The current logo's digest of a client (its ETag), or None without a logo."""
    digest = Client.objects.filter(pk=client_pk).values_list("logo_digest", flat=True).first()
    return digest or None


def client_logo(*, client_pk: int) -> ClientLogo | None:
    return ClientLogo.objects.filter(client_id=client_pk).first()
