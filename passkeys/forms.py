from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from passkeys import conf


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=int(conf.DEFAULTS["PASSKEYS_NAME_MAX_LENGTH"]),
        required=False,
        help_text=_("So you can tell your passkeys apart, e.g. “Work laptop” or “My phone”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class PasskeyRemoveForm(forms.Form):
    current_password = forms.CharField(
        label=_("Your current password"),
        required=False,
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
