from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResetConfig(AppConfig):
    """The self-service password reset journey (/accounts/password/reset/...). Its rows
    (``ResetFlow``, ``ResetBlock``) are the accounts app's models."""

    name = "reset"
    verbose_name = _("Password reset")
