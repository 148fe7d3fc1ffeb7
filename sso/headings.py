"""What the sign-in page says when it is the authorize step of a client
(``SIGNIN_NEXT_HEADING``: the sign-in app names this callable, never imports it)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sso.selectors import client_for_next


class Heading(str):
    """The heading's text, with the client's logo (its URL and alt text; "" without one)."""

    logo_url: str = ""
    logo_alt: str = ""


def heading_for_next(next_url: str) -> Heading | None:
    """ "Sign in to 销售易 CRM" (and the CRM's logo) when ``next`` is an authorization request of
    a registered client, else None (the page's own heading)."""
    client = client_for_next(next_url)
    if client is None:
        return None
    heading = Heading(_("Sign in to %(client)s") % {"client": str(client)})
    heading.logo_url, heading.logo_alt = client.logo_url, client.logo_alt
    return heading
