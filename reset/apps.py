from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResetConfig(AppConfig):
    """The self-service password reset journey (/accounts/password/reset/...), its rows
    (``ResetFlow``, ``ResetBlock``), the agents' reset link and the reset admin pages."""

    name = "reset"
    verbose_name = _("Password reset")
