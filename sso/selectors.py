"""Reads of the single sign-on app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_refresh_token_model

from sso.models import Client

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
    client_ids = parse_qs(parts.query).get("client_id") or []
    if len(client_ids) != 1 or not client_ids[0].isprintable() or len(client_ids[0]) > 255:
        return None
    return Client.objects.filter(client_id=client_ids[0]).first()


@dataclass(frozen=True)
class AppGrant:
    """A client the user is signed in to: it holds a refresh token that still works."""

    client: Client
    since: datetime
    last_used: datetime


def user_app_grants(*, user) -> list[AppGrant]:
    """The apps ``user`` is signed in to through the portal, most recently used first (for
    /account/, the ticket page and the account timeline)."""
    rows = (
        RefreshToken.objects.filter(user=user, revoked__isnull=True)
        .values("application_id")
        .annotate(last_used=Max("updated"), since=Max("created"))
        .order_by("-last_used")
    )
    clients = Client.objects.in_bulk([row["application_id"] for row in rows])
    now = timezone.now()
    return [
        AppGrant(
            client=clients[row["application_id"]],
            since=row["since"] or now,
            last_used=row["last_used"] or now,
        )
        for row in rows
        if row["application_id"] in clients
    ]
