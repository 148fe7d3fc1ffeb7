"""Domain errors of the accounts app: each carries a stable ``code`` and a translated sentence."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import PortalError


class AccountsError(PortalError):
    code = "accounts_error"
    default_message = _("This action is not possible right now.")


class WrongPassword(AccountsError):
    code = "wrong_password"
    default_message = _("Your current password is not right.")


class ContactChangeError(AccountsError):
    code = "contact_error"
    default_message = _("This recovery contact cannot be used.")


class TwoStepError(AccountsError):
    code = "two_step_error"
    default_message = _("Two-step sign-in could not be changed.")


class WrongState(AccountsError):
    code = "wrong_state"
    default_message = _("This cannot be done in the current state.")
