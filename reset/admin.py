"""Admin pages of the reset app: password resets (to follow up a caller), reset pauses (an agent
lifts one after checking the caller) and the user admin's "Send a password reset link" actions.
Thin: actions call ``reset.services``."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import UserAdmin as AccountsUserAdmin
from accounts.models import User
from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin
from reset import services
from reset.errors import ResetInviteRefused
from reset.models import ResetBlock, ResetFlow

# The user admin is the accounts app's; the reset app (a higher layer) adds its actions to it.
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AccountsUserAdmin):
    actions = ["send_reset_link_email", "send_reset_link_sms", *AccountsUserAdmin.actions]

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
