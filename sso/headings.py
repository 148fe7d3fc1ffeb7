"""What the sign-in page says when it is the authorize step of a client
(``SIGNIN_NEXT_HEADING``: the sign-in app names this callable, never imports it)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sso.selectors import client_for_next


def heading_for_next(next_url: str) -> str | None:
    """ "Sign in to 销售易 CRM" when ``next`` is an authorization request of a registered
    client, else None (the page's own heading)."""
    client = client_for_next(next_url)
    if client is None:
        return None
    return _("Sign in to %(client)s") % {"client": str(client)}
