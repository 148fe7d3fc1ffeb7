"""Forms of the reset flow and the security page: input shape only; the rules live in services.

Every field has a maximum length, so 10 kB of text is refused with a sentence, never hashed or
looked up. Django's CharField already refuses NUL characters.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts import codes
from accounts.messenger_ids import code_channel_choices
from accounts.models import CodeChannel
from messaging.errors import InvalidRecipient
from messaging.recipients import phone_normalize, sms_allowed_region

PASSWORD_FIELD_MAX = 1024  # beyond the 128-character rule; longer input is refused unread


def _control_free(value: str) -> str:
    if any(not ch.isprintable() for ch in value):
        raise forms.ValidationError(
            _("Remove the invisible control characters and try again."), code="control"
        )
    if "\ufffd" in value:  # what undecodable (non-UTF-8) input becomes
        raise forms.ValidationError(
            _("Some characters could not be read. Type it again."), code="encoding"
        )
    return value


class ResetStartForm(forms.Form):
    identifier = forms.CharField(
        label=_("Username, email address or mobile number"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    channel = forms.ChoiceField(
        label=_("Send the code by"),
        # email, SMS and each messenger the portal is set up for (never what an account has)
        choices=code_channel_choices,
        initial=CodeChannel.EMAIL,
        widget=forms.RadioSelect,
    )

    def clean_identifier(self) -> str:
        return _control_free(self.cleaned_data["identifier"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ０-９-]*",
                "maxlength": "12",
                "size": "8",
            }
        ),
    )

    def clean_code(self) -> str:
        value = codes.code_normalize(self.cleaned_data["code"])
        if value is None:
            raise forms.ValidationError(
                _("Enter the 6 digits from the message (numbers only)."), code="malformed"
            )
        return value


class SecondFactorForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "none", "size": "12"}
        ),
    )

    def clean_otp_token(self) -> str:
        value = "".join(self.cleaned_data["otp_token"].split()).replace("-", "")
        if not value.isascii() or not value.isalnum() or not 6 <= len(value) <= 16:
            raise forms.ValidationError(
                _("Enter the 6 digits shown in your authenticator app, or one backup code."),
                code="malformed",
            )
        return value


class NewPasswordForm(forms.Form):
    new_password1 = forms.CharField(
        label=_("New password"),
        max_length=PASSWORD_FIELD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        max_length=PASSWORD_FIELD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        one, two = data.get("new_password1"), data.get("new_password2")
        if one and two and one != two:
            self.add_error("new_password2", _("The two passwords are not the same."))
        return data


class PasswordChangeForm(NewPasswordForm):
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=PASSWORD_FIELD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "new_password1", "new_password2"]


class ContactForm(forms.Form):
    """A new recovery email or phone; ``current_password`` is required when replacing one."""

    kind = forms.ChoiceField(choices=CodeChannel.choices, widget=forms.HiddenInput)
    value = forms.CharField(label=_("New address"), max_length=254)
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=PASSWORD_FIELD_MAX,
        strip=False,
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, password_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.password_required = password_required
        self.fields["current_password"].required = password_required

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if not kind or not value:
            return data
        value = _control_free(value.strip())
        if kind == CodeChannel.EMAIL:
            field = forms.EmailField(max_length=254)
            try:
                data["value"] = field.clean(value).lower()
            except forms.ValidationError:
                self.add_error("value", _("Enter a valid email address."))
        else:
            data["value"] = _phone_clean(self, value)
        return data


def _phone_clean(form: forms.Form, value: str) -> str | None:
    try:
        e164 = phone_normalize(value)
    except InvalidRecipient:
        form.add_error(
            "value", _("Enter a valid mobile number, with +country code if not from China.")
        )
        return None
    if not sms_allowed_region(e164):
        form.add_error(
            "value",
            _("Text messages can only be sent to numbers in: %(regions)s.")
            % {"regions": ", ".join(settings.SMS_ALLOWED_REGIONS)},
        )
        return None
    return e164


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from the app"),
        max_length=64,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": "8"}
        ),
    )

    def clean_code(self) -> str:
        value = codes.code_normalize(self.cleaned_data["code"])
        if value is None:
            raise forms.ValidationError(
                _("Enter the 6 digits shown in your authenticator app."), code="malformed"
            )
        return value


class TwoStepDisableForm(SecondFactorForm):
    current_password = forms.CharField(
        label=_("Current password"),
        max_length=PASSWORD_FIELD_MAX,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    field_order = ["current_password", "otp_token"]
