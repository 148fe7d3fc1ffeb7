"""Group robots in the admin: name, kind, webhook and secret (write-only, kept encrypted) or an
environment name, what it receives, and "send a test message"."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from messaging.errors import MessagingError
from messaging.messengers.robots import ROBOT_EVENTS, robot_save, robot_test_send
from messaging.models import Robot


class RobotForm(forms.ModelForm):
    webhook = forms.URLField(
        label=_("webhook URL"),
        required=False,
        assume_scheme="https",
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "As the group's robot settings show it, its key or access token included. Kept "
            "encrypted; leave empty to keep the stored one."
        ),
    )
    secret = forms.CharField(
        label=_("signing secret"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "DingTalk (SEC…) and Feishu robots with signing on. Kept encrypted; leave empty to "
            "keep the stored one."
        ),
    )
    clear_secret = forms.BooleanField(label=_("remove the stored secret"), required=False)
    events = forms.MultipleChoiceField(
        label=_("receives"),
        choices=list(ROBOT_EVENTS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = Robot
        fields = ["name", "kind", "environment_name", "events", "language", "enabled"]

    def clean_environment_name(self):
        value = self.cleaned_data["environment_name"].strip().upper()
        if value and not value.replace("_", "").isalnum():
            raise forms.ValidationError(_("Letters, digits and _ only."))
        return value

    def clean(self):
        data = super().clean()
        stored = self.instance.pk and self.instance.webhook_encrypted
        if not data.get("environment_name") and not data.get("webhook") and not stored:
            self.add_error("webhook", _("Give the webhook URL or an environment name."))
        return data


@admin.register(Robot)
class RobotAdmin(admin.ModelAdmin):
    form = RobotForm
    list_display = ("name", "kind", "receives", "enabled", "updated_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name",)
    actions = ["send_test"]

    @admin.display(description=_("receives"))
    def receives(self, obj: Robot) -> str:
        return ", ".join(str(ROBOT_EVENTS.get(e, e)) for e in obj.events or []) or "—"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        secret = "" if data.get("clear_secret") else (data.get("secret") or None)
        robot_save(
            robot=obj,
            webhook=data.get("webhook") or None,
            secret=secret,
            actor=request.user,
            request=request,
        )

    def has_test_permission(self, request):
        return request.user.has_perm("messaging.test_robot")

    @admin.action(description=_("Send a test message"), permissions=["test"])
    def send_test(self, request, queryset):
        sent = 0
        for robot in queryset:
            try:
                robot_test_send(robot=robot, actor=request.user, request=request)
            except MessagingError as exc:
                self.message_user(request, f"{robot}: {exc}", messages.WARNING)
            else:
                sent += 1
        if sent:
            self.message_user(
                request,
                ngettext(
                    "%(n)d test message queued; the outbox shows when it is sent.",
                    "%(n)d test messages queued; the outbox shows when they are sent.",
                    sent,
                )
                % {"n": sent},
                messages.SUCCESS,
            )
