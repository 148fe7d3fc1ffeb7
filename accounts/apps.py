from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")
    default = True


class PortalAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` with the two-step admin site as the default ``admin.site``
    (``signin.admin_site.PortalAdminSite``, the admin login door: named, never imported, as
    the sign-in app is a higher layer)."""

    default = False
    default_site = "signin.admin_site.PortalAdminSite"
