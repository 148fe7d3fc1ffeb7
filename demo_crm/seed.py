"""The demo CRM's client at the portal, made by ``seed_demo`` (``ACCOUNTS_DEMO_SEEDERS`` names
``demo_crm_seed``) when DEBUG is on: "Demo CRM", standard profile (PKCE S256), trusted (a
first-party app, as 销售易 CRM is registered: no consent page, so the demo shows the same journey),
its redirect and post-logout URIs at /demo-crm/ on the portal's address, its back-channel logout
URI, and the known demo secret (``DEMO_CRM_CLIENT_SECRET``, debug only)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from demo_crm import conf
from sso.models import Client, Profile

NAME = "Demo CRM"


def _with_loopback_twin(base_url: str) -> list[str]:
    """``base_url`` and, for a loopback address, the same with the other loopback name (the
    browser may use 127.0.0.1 or localhost)."""
    parts = urlsplit(base_url.rstrip("/"))
    bases = [urlunsplit(parts)]
    twins = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}
    if parts.hostname in twins:
        netloc = twins[parts.hostname] + (f":{parts.port}" if parts.port else "")
        bases.append(urlunsplit(parts._replace(netloc=netloc)))
    return bases


@transaction.atomic
def demo_client_ensure(*, base_url: str) -> Client:
    """Create or update the demo client for a portal served at ``base_url``."""
    bases = _with_loopback_twin(base_url)
    home, callback = reverse("demo_crm:home"), reverse("demo_crm:callback")
    client = Client.objects.filter(client_id=conf.get("DEMO_CRM_CLIENT_ID")).first() or Client(
        client_id=conf.get("DEMO_CRM_CLIENT_ID")
    )
    client.name = NAME
    client.profile = Profile.STANDARD
    client.skip_authorization = True
    client.client_type = Client.CLIENT_CONFIDENTIAL
    client.redirect_uris = " ".join(base + callback for base in bases)
    client.post_logout_redirect_uris = " ".join(base + home for base in bases)
    client.backchannel_logout_uri = bases[0] + reverse("demo_crm:backchannel_logout")
    client.backchannel_logout_session_required = True
    client.client_secret = conf.get("DEMO_CRM_CLIENT_SECRET")
    client.hash_client_secret = True
    client.full_clean()
    client.save()
    return client


def demo_crm_seed(*, stdout) -> None:
    """``seed_demo``'s hook: the demo client, where the demo CRM is served (debug, or
    ``DEMO_CRM_ENABLED``: the production-like ``make stack``, its URIs then https)."""
    if not (settings.DEBUG or settings.DEMO_CRM_ENABLED):
        stdout.write(
            "\nDemo CRM: not seeded (it is served only with DJANGO_DEBUG=1 or DEMO_CRM_ENABLED=1)."
        )
        return
    client = demo_client_ensure(base_url=settings.PORTAL_BASE_URL)
    stdout.write(
        f"\nDemo CRM (a demo relying party): {settings.PORTAL_BASE_URL.rstrip('/')}"
        f"{reverse('demo_crm:home')}\n"
        f"  client id {client.client_id}, secret {conf.get('DEMO_CRM_CLIENT_SECRET')} "
        "(DEMO ONLY: a known secret)"
    )
