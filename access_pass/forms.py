"""Input checks only: the pass is checked by ``access_pass.door``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from signin.identity import MAX_IDENTIFIER_LENGTH


class PassSigninForm(forms.Form):
    username = forms.CharField(
        label=_("Username or email address"),
        max_length=MAX_IDENTIFIER_LENGTH,
        error_messages={
            "required": _("Enter your username or email address."),
            "max_length": _("This is too long to be a username or email address."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}),
    )
    access_pass = forms.CharField(
        label=_("Temporary access pass"),
        max_length=100,
        strip=True,
        error_messages={
            "required": _("Enter the pass the helpdesk gave you."),
            "max_length": _("This is too long to be a pass."),
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX",
            }
        ),
    )

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        if any(not ch.isprintable() for ch in value) or "\ufffd" in value:
            raise forms.ValidationError(
                _("The username contains characters that are not allowed."), code="unreadable"
            )
        return value
