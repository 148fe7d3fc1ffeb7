"""Forms of the tickets app: validation only; the work is in the services."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from access_pass.models import Delivery
from tickets import conf
from tickets.models import Channel, ProblemSince, Tried
from tickets.selectors import agents

USERNAME_SHAPE = re.compile(r"^[\w.@+\-]+$")
LOCK_REFERENCE_SHAPE = re.compile(r"^LK-[A-Z0-9]{3,12}$")
# Control characters other than tab and line breaks; also the Unicode line/paragraph separators.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")


def no_control_characters(value: str) -> None:
    if _CONTROL.search(value or ""):
        raise ValidationError(
            _("This text contains invisible control characters. Please type it again."),
            code="control_characters",
        )


def _text_max() -> int:
    return conf.get("TICKETS_TEXT_MAX_LENGTH")


class LongTextField(forms.CharField):
    """Free text up to TICKETS_TEXT_MAX_LENGTH, no control characters, line breaks kept."""

    default_validators = [no_control_characters]

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 5}))
        super().__init__(**kwargs)

    def clean(self, value):
        limit = _text_max()
        if value and len(value) > limit:
            raise ValidationError(
                _("Please keep this under %(limit)s characters (it has %(length)s).")
                % {"limit": limit, "length": len(value)},
                code="max_length",
            )
        return super().clean(value)


class UnlockRequestForm(forms.Form):
    """The public request form. ``website`` is a honeypot (hidden from people); ``nonce`` makes
    a double-clicked submission file one request."""

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("The name you sign in with (your email address works too)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
        error_messages={"max_length": _("A username has at most %(limit_value)d characters.")},
    )
    lock_reference = forms.CharField(
        label=_("Lock reference (if the lock page showed one)"),
        required=False,
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "LK-7F3Q2", "autocapitalize": "characters"}),
    )
    contact = forms.CharField(
        label=_("Email or mobile number to reach you"),
        required=False,
        max_length=254,
        help_text=_(
            "Optional. We answer only through the email and phone registered on your account; "
            "this helps the helpdesk recognise you if it is one of them."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "email"}),
        error_messages={"max_length": _("This has at most %(limit_value)d characters.")},
    )
    receipt = forms.ChoiceField(
        label=_("How should we confirm that your request arrived?"),
        choices=[
            (Channel.EMAIL, _("By email")),
            (Channel.SMS, _("By text message")),
        ],
        initial=Channel.EMAIL,
        required=False,
        widget=forms.RadioSelect,
        help_text=_(
            "Only to the email or mobile number registered on your account. Without a "
            "registered mobile number, the confirmation goes by email."
        ),
    )
    problem_since = forms.ChoiceField(
        label=_("When did the problem begin?"),
        choices=ProblemSince.choices,
        widget=forms.RadioSelect,
    )
    tried = forms.MultipleChoiceField(
        label=_("What have you already tried?"),
        choices=Tried.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    description = LongTextField(
        label=_("Anything else the helpdesk should know?"),
        required=False,
    )
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    nonce = forms.CharField(widget=forms.HiddenInput, max_length=64)
    maintenance_answer = forms.ChoiceField(
        choices=[("maintenance", "maintenance"), ("other", "other")],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(self, *args, maintenance: bool = False, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["description"].help_text = _(
            "Up to %(limit)s characters. Never write your password here: nobody at the helpdesk "
            "will ask for it."
        ) % {"limit": _text_max()}
        self.asks_maintenance = maintenance
        if maintenance:
            self.fields["maintenance_answer"].required = True
            self.fields["maintenance_answer"].error_messages["required"] = _(
                "Please tell us whether your problem is the maintenance shown above."
            )

    def clean_username(self) -> str:
        value = self.cleaned_data["username"].strip()
        no_control_characters(value)
        if not USERNAME_SHAPE.match(value):
            raise ValidationError(
                _("A username has only letters, digits and the characters . @ + - _ (no spaces)."),
                code="username_shape",
            )
        return value

    def clean_lock_reference(self) -> str:
        value = self.cleaned_data["lock_reference"].strip().upper()
        if value and not LOCK_REFERENCE_SHAPE.match(value):
            raise ValidationError(
                _("A lock reference looks like LK-7F3Q2. Leave it empty if you do not have one."),
                code="lock_reference_shape",
            )
        return value

    def clean_contact(self) -> str:
        value = self.cleaned_data["contact"].strip()
        no_control_characters(value)
        return value

    def clean_receipt(self) -> str:
        return self.cleaned_data["receipt"] or Channel.EMAIL

    def clean_nonce(self) -> str:
        value = self.cleaned_data["nonce"]
        if not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", value):
            raise ValidationError(_("This form is out of date."), code="nonce")
        return value

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get("website"))


class ReplyForm(forms.Form):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    body = LongTextField(
        label=_("Add a message for the helpdesk"),
        help_text=_("Never write your password here."),
    )


# --- Agent actions (admin) --------------------------------------------------------------------
class ChannelForm(forms.Form):
    channel = forms.ChoiceField(label=_("Send to the verified"), choices=Channel.choices)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code the caller reads out"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class UnlockForm(forms.Form):
    reason = LongTextField(
        label=_("Reason to unlock without verification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the caller could not be verified. It is audited."),
    )


class TextForm(forms.Form):
    text = LongTextField(label=_("Text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class RequiredTextForm(forms.Form):
    text = LongTextField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))


class MessageForm(forms.Form):
    text = LongTextField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 3}))
    public = forms.BooleanField(label=_("Show to the employee"), required=False)


class AppSignoutForm(forms.Form):
    """The ticket page's "sign out of this app" (``app``: the client's id) or of all (none)."""

    app = forms.IntegerField(required=False, min_value=1)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents()


class PassIssueForm(forms.Form):
    """How a temporary access pass reaches the caller: shown to the agent, or sent."""

    delivery = forms.ChoiceField(label=_("Give the pass by"), choices=Delivery.choices)
