"""The scopes a client may ask for, and what the consent page says each lets it read
(``OAUTH2_PROVIDER["SCOPES_BACKEND_CLASS"]``)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from oauth2_provider.scopes import BaseScopes


def descriptions() -> dict[str, str]:
    return {
        "openid": _("Who you are: a stable identifier, never your password"),
        "profile": _("Your name, username, language and time zone"),
        "email": _("Your email address"),
        "phone": _("Your mobile phone number"),
    }


class PortalScopes(BaseScopes):
    def get_all_scopes(self):
        return descriptions()

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        return list(descriptions())

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return ["openid"]
