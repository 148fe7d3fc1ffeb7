"""Admin pages of the accounts app. Thin: actions call services.

Device secrets never show here: django-otp's own TOTP and backup-code admins (which show the key,
a QR code and the backup codes) are replaced by lists that show only who, when and how many;
code devices are not registered at all (they hold only an HMAC anyway).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services
from accounts.models import User
from audit.selectors import audit_events_for_user
from audit.sentences import event_sentence
from portal.admin_mixins import ReadOnlyAdminMixin


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
        (_("Account timeline"), {"fields": ("timeline",)}),
    )
    list_display = ["username", "email", "phone", "employee_id", "is_staff", "is_active"]
    search_fields = ["username", "email", "phone", "employee_id", "first_name", "last_name"]
    readonly_fields = [
        "last_login",
        "date_joined",
        "password_changed_at",
        "contact_prompt_skips",
        "timeline",
    ]
    actions = ["remove_two_step"]  # the reset app adds its reset-link actions (reset.admin)

    @admin.display(description=_("latest events"))
    def timeline(self, obj: User) -> str:
        """The account's latest audit rows as sentences (``audit.sentences``), newest first."""
        if obj.pk is None:
            return "—"
        rows = audit_events_for_user(user=obj)
        if not rows:
            return _("Nothing recorded.")
        items = format_html_join(
            "",
            '<li><time datetime="{}">{}</time> {}</li>',
            (
                (
                    row.created_at.isoformat(),
                    timezone.localtime(row.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    event_sentence(row),
                )
                for row in rows
            ),
        )
        return format_html('<ul class="account-timeline">{}</ul>', items)

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
