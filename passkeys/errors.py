"""Domain errors of the passkeys app: each carries a stable ``code`` and a translated sentence."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.exceptions import OTPWebAuthnApiError

from portal.errors import PortalError


class PasskeyError(PortalError):
    code = "passkey_error"
    default_message = _("That passkey could not be used. Try again, or sign in another way.")


class PasskeyRefused(PasskeyError):
    """A ceremony refused; ``status`` is the HTTP status its JSON answer carries."""

    def __init__(self, message=None, *, code: str = "", status: int = 400, retry_after: int = 0):
        super().__init__(message, code=code or None)
        self.status = status
        self.retry_after = retry_after


class NotConfirmed(PasskeyError):
    code = "not_confirmed"
    default_message = _("Confirm it is you first: type your password or use one of your passkeys.")


class StaleCounter(OTPWebAuthnApiError):
    """A response signed by the passkey, with a counter not above the stored one: a copy of the
    authenticator (or a replay) is in use."""

    status_code = 403
    default_code = "stale_counter"
    default_detail = _("This passkey's counter went backwards; it may have been copied.")

    def __init__(self, *, device, counted: int):
        super().__init__()
        self.device = device
        self.counted = counted
