from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoCrmConfig(AppConfig):
    """A demo relying party for `make run`: mounted at /demo-crm/ only when DEBUG is on."""

    name = "demo_crm"
    verbose_name = _("Demo CRM (debug only)")
