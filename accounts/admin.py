"""Admin pages of the accounts app. Thin: actions call services.

Device secrets never show here: django-otp's own TOTP and backup-code admins (which show the key,
a QR code and the backup codes) are replaced by lists that show only who, when and how many;
code devices are not registered at all (they hold only an HMAC anyway).
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.errors import ResetInviteRefused
from accounts.models import ResetBlock, ResetFlow, User
from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "employee_id", "language")},
        ),
        (
            _("Recovery contacts"),
            {
                "fields": (
                    "email",
                    "email_verified_at",
                    "phone",
                    "phone_verified_at",
                    "contact_prompt_skips",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    list_display = ["username", "email", "phone", "employee_id", "is_staff", "is_active"]
    search_fields = ["username", "email", "phone", "employee_id", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined", "password_changed_at", "contact_prompt_skips"]
    actions = ["send_reset_link_email", "send_reset_link_sms", "remove_two_step"]

    def _invite(self, request, queryset, channel: str) -> None:
        for user in queryset:
            try:
                sent = services.reset_invite_send(
                    user=user, channel=channel, actor=request.user, request=request
                )
            except ResetInviteRefused as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(user)s: reset link sent to %(to)s.")
                    % {"user": user, "to": sent["destination"]},
                    messages.SUCCESS,
                )

    @admin.action(description=_("Send a password reset link by email"))
    def send_reset_link_email(self, request, queryset):
        self._invite(request, queryset, "email")

    @admin.action(description=_("Send a password reset link by text message"))
    def send_reset_link_sms(self, request, queryset):
        self._invite(request, queryset, "sms")

    @admin.action(description=_("Remove two-step sign-in (lost phone)"))
    def remove_two_step(self, request, queryset):
        count = sum(
            services.two_step_remove(user=user, actor=request.user, request=request)
            for user in queryset
        )
        self.message_user(
            request,
            ngettext(
                "Two-step sign-in removed from %(count)d account.",
                "Two-step sign-in removed from %(count)d accounts.",
                count,
            )
            % {"count": count},
        )


class _DeviceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Who has a device, since when, last used; never the key or the codes."""

    admin_may_delete = True
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    list_filter = ["confirmed"]
    readonly_fields = ["user", "name", "confirmed", "created_at", "last_used_at", "failures"]
    fields = readonly_fields

    @admin.display(description=_("wrong codes in a row"))
    def failures(self, obj):
        return obj.throttling_failure_count


for model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(model):
        admin.site.unregister(model)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(_DeviceAdmin):
    list_display = ["user", "name", "confirmed", "created_at", "last_used_at"]


@admin.register(StaticDevice)
class StaticDeviceAdmin(_DeviceAdmin):
    list_display = ["user", "name", "codes_left", "created_at", "last_used_at"]
    readonly_fields = [*_DeviceAdmin.readonly_fields, "codes_left"]
    fields = readonly_fields

    @admin.display(description=_("unused codes"))
    def codes_left(self, obj):
        return obj.token_set.count()


class ActiveBlockFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("active")), ("over", _("over or lifted"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(lifted_at__isnull=True, until__gt=now)
        if self.value() == "over":
            return queryset.exclude(lifted_at__isnull=True, until__gt=now)
        return queryset


@admin.register(ResetBlock)
class ResetBlockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Self-service resets paused after 20 wrong codes in a row; agents can lift one after
    checking the caller (or send a reset link instead)."""

    list_display = ["user", "what", "created_at", "until", "failures", "is_active_now", "lifted_by"]
    list_filter = [ActiveBlockFilter]
    list_select_related = ["user", "lifted_by"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "what", "created_at", "until", "failures", "lifted_at", "lifted_by"]
    readonly_fields = fields
    actions = ["lift"]
    admin_may_change = True  # the "lift" action, under the change permission

    @admin.display(description=_("blocked"))
    def what(self, obj):
        return _("account") if obj.key.startswith("account:") else _("what was typed")

    @admin.display(boolean=True, description=_("active"))
    def is_active_now(self, obj):
        return obj.is_active()

    @admin.action(description=_("Lift the block"), permissions=["change"])
    def lift(self, request, queryset):
        lifted = sum(
            services.reset_block_lift(block=block, actor=request.user, request=request)
            for block in queryset
        )
        self.message_user(
            request,
            ngettext("%(count)d block lifted.", "%(count)d blocks lifted.", lifted)
            % {"count": lifted},
        )


@admin.register(ResetFlow)
class ResetFlowAdmin(ReadOnlyAdminMixin, CalendarSafeChangelistMixin, admin.ModelAdmin):
    """Password resets, for following up a caller: state, channel, counts. No keys."""

    list_display = ["created_at", "user", "state", "channel", "sends", "failures", "started_by"]
    list_filter = ["state", "channel"]
    list_select_related = ["user", "started_by"]
    search_fields = ["user__username", "user__email"]
    date_hierarchy = "created_at"
    fields = [
        "user",
        "started_by",
        "state",
        "channel",
        "created_at",
        "expires_at",
        "sends",
        "failures",
        "verified_at",
        "completed_at",
        "ip",
    ]
    readonly_fields = fields
