"""Password rules beyond Django's validators: a maximum length and the password history.

Rules (NIST SP 800-63B, ASVS V6.2): at least PASSWORD_MIN_LENGTH characters, at most
PASSWORD_MAX_LENGTH (128), not a common password, not similar to the username, name or email, not
the current password nor one of the last PASSWORD_HISTORY_COUNT. No composition rules.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.contrib.auth.password_validation import (
    validate_password,
)
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import conf


def password_rules() -> list[str]:
    """The rules as sentences for the page that asks for a new password."""
    rules = [
        ngettext(
            "At least %(min)d character and at most %(max)d; spaces, Chinese and emoji are fine.",
            "At least %(min)d characters and at most %(max)d; spaces, Chinese and emoji are fine.",
            settings.PASSWORD_MIN_LENGTH,
        )
        % {"min": settings.PASSWORD_MIN_LENGTH, "max": conf.get("PASSWORD_MAX_LENGTH")},
        _("Not a commonly used password."),
        _("Not similar to your username, name or email address."),
        ngettext(
            "Not your current password nor your last one.",
            "Not your current password nor one of your last %(count)d.",
            conf.get("PASSWORD_HISTORY_COUNT"),
        )
        % {"count": conf.get("PASSWORD_HISTORY_COUNT")},
        _("No rules about digits or symbols: a long phrase you can remember is best."),
    ]
    return rules


def password_check(*, user, raw_password: str) -> None:
    """Raise ``ValidationError`` with every reason the password is refused."""
    errors: list[ValidationError] = []
    maximum = conf.get("PASSWORD_MAX_LENGTH")
    if len(raw_password) > maximum:
        errors.append(
            ValidationError(
                _("This password is too long: at most %(max)d characters."),
                code="password_too_long",
                params={"max": maximum},
            )
        )
    else:
        try:
            validate_password(raw_password, user=user)
        except ValidationError as exc:
            errors.extend(exc.error_list)
        if user is not None and user.pk and password_reused(user=user, raw_password=raw_password):
            errors.append(
                ValidationError(
                    _("This is your current password or one you used recently; choose another."),
                    code="password_reused",
                )
            )
    if errors:
        raise ValidationError(errors)


def password_reused(*, user, raw_password: str) -> bool:
    if user.has_usable_password() and check_password(raw_password, user.password):
        return True
    limit = conf.get("PASSWORD_HISTORY_COUNT")
    earlier = user.password_history.values_list("password", flat=True)[:limit]
    return any(check_password(raw_password, encoded) for encoded in earlier)
