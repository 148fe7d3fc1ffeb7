"""Sign-in forms: input checks only. Credentials are checked by ``authenticate()`` in the view."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from signin.backends import MAX_PASSWORD_LENGTH
from signin.identity import MAX_IDENTIFIER_LENGTH

REPLACEMENT_CHARACTER = "\ufffd"  # what undecodable (non-UTF-8) bytes become


def _unreadable(value: str) -> bool:
    return REPLACEMENT_CHARACTER in value


class SigninForm(forms.Form):
    username = forms.CharField(
        label=_("Username or email address"),
        max_length=MAX_IDENTIFIER_LENGTH,
        error_messages={
            "required": _("Enter your username or email address."),
            "max_length": _("This is too long to be a username or email address."),
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        error_messages={
            "required": _("Enter your password."),
            "max_length": _("This is too long to be a password."),
        },
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        if any(not ch.isprintable() for ch in value):
            raise forms.ValidationError(
                _(
                    "The username contains characters that are not allowed (such as tabs or "
                    "control characters)."
                ),
                code="control_characters",
            )
        if _unreadable(value):
            raise forms.ValidationError(
                _("The username could not be read. Type it again."), code="unreadable"
            )
        return value

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        if _unreadable(value):
            raise forms.ValidationError(
                _("The password could not be read. Type it again."), code="unreadable"
            )
        return value

    @property
    def carries_attempt(self) -> bool:
        """Something that looks like an attempt was sent (both fields filled), even if refused."""
        return bool(self.data.get("username")) and bool(self.data.get("password"))


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=64,
        error_messages={
            "required": _("Enter the code from your authenticator app or a backup code."),
            "max_length": _("This is too long to be a code."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "autocapitalize": "none",
            }
        ),
    )

    def clean_code(self) -> str:
        value = "".join(self.cleaned_data["code"].split()).replace("-", "")
        if not value.isascii() or not value.isalnum() or not 6 <= len(value) <= 16:
            raise forms.ValidationError(
                _("A code has 6 digits (a backup code: up to 16 letters and digits)."),
                code="invalid",
            )
        return value.lower()


class ExpiredPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "autofocus": True}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        one, two = cleaned.get("new_password1"), cleaned.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two passwords differ."))
        return cleaned
