"""Domain errors of the reset app: each carries a stable ``code`` and a translated sentence."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import PortalError


class ResetInviteRefused(PortalError):
    code = "invite_refused"
    default_message = _("No reset link could be sent to this person.")
