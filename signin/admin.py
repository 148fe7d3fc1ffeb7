"""Locked accounts for agents: who is locked now, since and until when, how many failures, the IPs
and browsers involved, the reference; search by username or reference; an "unlock" action."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin, RecentListFilter
from signin import unlock
from signin.lockout import reference_normalize
from signin.models import Lock, Scope
from signin.selectors import locks_active_q, locks_of_accounts_q


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", _("Locked now")), ("ended", _("Ended")), ("all", _("All"))]

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": (self.value() or "active") == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value() or "active"
        if value == "active":
            return queryset.filter(locks_active_q(now=now))
        if value == "ended":
            return queryset.exclude(locks_active_q(now=now))
        return queryset


class ScopeFilter(admin.SimpleListFilter):
    """Accounts (for unknown browsers or one known browser: both lock a person out) or IPs."""

    title = _("what is locked")
    parameter_name = "scope"

    def lookups(self, request, model_admin):
        return [("accounts", _("Accounts (any browser)")), *Scope.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "accounts":
            return queryset.filter(locks_of_accounts_q())
        if value in Scope.values:
            return queryset.filter(scope=value)
        return queryset


class LockedSinceFilter(RecentListFilter):
    title = _("when locked")
    field = "locked_at"


@admin.register(Lock)
class LockAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "who",
        "scope",
        "locked_at",
        "locked_until",
        "failures",
        "involved",
        "status",
    ]
    list_filter = [StatusFilter, ScopeFilter, LockedSinceFilter]
    search_fields = ["reference", "key", "username", "user__username", "user__email", "ip"]
    list_select_related = ["user"]
    ordering = ["-locked_at"]
    actions = ["unlock"]
    readonly_fields = [field.name for field in Lock._meta.fields]
    list_per_page = 50
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        normalized = reference_normalize(search_term)
        if normalized:
            exact = queryset.filter(reference=normalized)
            if exact.exists():
                return exact, False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("account"), ordering="key")
    def who(self, lock: Lock) -> str:
        if lock.scope == Scope.IP:
            return str(lock.ip or lock.key)
        if lock.user is not None:
            return lock.user.get_username()
        return _("%(name)s (no such account)") % {"name": lock.username or lock.key}

    @admin.display(description=_("IPs and browsers involved"))
    def involved(self, lock: Lock) -> str:
        return format_html_join(
            "",
            "<div>{} · {} · {}</div>",
            (
                (s.get("ip") or "-", s.get("browser") or "-", s.get("failures") or 0)
                for s in lock.sources[:5]
            ),
        )

    @admin.display(description=_("status"))
    def status(self, lock: Lock) -> str:
        if lock.is_active():
            return _("locked")
        return lock.get_ended_how_display() or _("ran out")

    def has_unlock_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("signin.unlock_account")

    @admin.action(description=_("Unlock the selected accounts"), permissions=["unlock"])
    def unlock(self, request: HttpRequest, queryset: QuerySet[Lock]):
        """Lift locks with a written reason (asked on a confirmation page, kept in the audit).
        Privileged accounts (staff, superusers) are refused here: they are unlocked only through
        an unlock request, where a second agent approves (dual control)."""
        locks = list(queryset.select_related("user"))
        privileged = [
            lock.user.get_username()
            for lock in locks
            if lock.user is not None and (lock.user.is_staff or lock.user.is_superuser)
        ]
        if privileged:
            self.message_user(
                request,
                _(
                    "Not unlocked: %(names)s. Privileged accounts are unlocked only through an "
                    "unlock request, where a second agent approves."
                )
                % {"names": ", ".join(sorted(privileged))},
                messages.ERROR,
            )
            return None
        form = UnlockReasonForm(request.POST if "confirm" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": _("Unlock with a reason"),
                "locks": locks,
                "form": form,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/signin/lock/unlock_confirm.html", context)
        reason = form.cleaned_data["reason"]
        done = 0
        for lock in locks:
            if lock.scope == Scope.IP:
                done += unlock.ip_block_clear(
                    lock=lock, actor=request.user, request=request, reason=reason
                )
            else:
                done += unlock.lock_clear(
                    username=lock.user.get_username() if lock.user else lock.key,
                    how="manual",
                    actor=request.user,
                    request=request,
                    reason=reason,
                )
        self.message_user(
            request,
            ngettext("%(count)d lock lifted.", "%(count)d locks lifted.", done) % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )
        return None


class UnlockReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are you lifting these locks?"),
        help_text=_(
            "Kept in the audit trail. The account owner is told that the helpdesk "
            "unlocked the account."
        ),
        min_length=5,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
    )


def _calendar_safe_axes_admins() -> None:
    """django-axes' own admins (raw attempts and logs, for admins) with the portal's guard
    against dates at the ends of the calendar in their date hierarchies."""
    from axes import admin as axes_admin
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model, base in (
        (AccessAttempt, axes_admin.AccessAttemptAdmin),
        (AccessLog, axes_admin.AccessLogAdmin),
        (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
    ):
        if admin.site.is_registered(model):
            admin.site.unregister(model)
            admin.site.register(model, type(base.__name__, (CalendarSafeChangelistMixin, base), {}))


_calendar_safe_axes_admins()
