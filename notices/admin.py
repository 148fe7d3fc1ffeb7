"""Notices and FAQ entries in the admin: admins edit, helpdesk agents read (accounts/roles.py).

Every change goes through notices.services, which audits it and refreshes the shared cache.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from notices import conf
from notices.errors import NoticeError
from notices.models import FaqEntry, Notice
from notices.selectors import notices_active_q, notices_overlapping
from notices.services import (
    faq_entry_delete,
    faq_entry_save,
    notice_delete,
    notice_end_now,
    notice_publish,
    notice_save,
    notice_unpublish,
)
from portal.admin_mixins import CalendarSafeChangelistMixin

STATE_LABELS = {
    "draft": _("draft"),
    "scheduled": _("scheduled"),
    "upcoming": _("upcoming (shown)"),
    "active": _("active"),
    "ended": _("ended"),
}


class InForceFilter(admin.SimpleListFilter):
    """Notices in force now (the agents' desk links here)."""

    title = _("in force")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", STATE_LABELS["active"])]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(notices_active_q(now=timezone.now()))
        return queryset


@admin.register(Notice)
class NoticeAdmin(CalendarSafeChangelistMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "severity",
        "starts_at",
        "ends_at",
        "blocks_signin",
        "published",
        "state",
    ]
    list_filter = [InForceFilter, "severity", "published", "blocks_signin"]
    search_fields = ["title_zh", "title_en", "message_zh", "message_en"]
    date_hierarchy = "starts_at"
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["severity", "published", "blocks_signin"]}),
        (_("When"), {"fields": ["starts_at", "ends_at"]}),
        (_("Chinese"), {"fields": ["title_zh", "message_zh"]}),
        (_("English"), {"fields": ["title_en", "message_en"]}),
        (
            _("History"),
            {
                "fields": ["created_at", "created_by", "updated_at", "updated_by"],
                "classes": ["collapse"],
            },
        ),
    ]
    actions = ["publish", "unpublish", "end_now"]

    @admin.display(description=_("state"))
    def state(self, obj: Notice) -> str:
        key = obj.state_at(timezone.now(), lead_hours=conf.get("NOTICE_LEAD_HOURS"))
        return str(STATE_LABELS[key])

    def get_changeform_initial_data(self, request):
        start = timezone.localtime().replace(second=0, microsecond=0) + timedelta(hours=1)
        start = start.replace(minute=0)
        return {
            "starts_at": start,
            "ends_at": start + timedelta(hours=2),
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request, obj, form, change):
        notice_save(
            notice=obj, actor=request.user, request=request, changed_fields=form.changed_data
        )
        self._warn_overlaps(request, obj)

    def _warn_overlaps(self, request, obj: Notice) -> None:
        if not obj.published:
            return
        others = list(notices_overlapping(notice=obj)[:5])
        if others:
            names = "; ".join(
                "{} ({})".format(
                    other.title,
                    date_format(timezone.localtime(other.starts_at), "SHORT_DATETIME_FORMAT"),
                )
                for other in others
            )
            self.message_user(
                request,
                gettext(
                    "This notice overlaps other published notices: %(names)s. All of them show, "
                    "the most severe first."
                )
                % {"names": names},
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        notice_delete(notice=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for notice in queryset:
            notice_delete(notice=notice, actor=request.user, request=request)

    def _run(self, request, queryset, service, done: str) -> None:
        count, refused = 0, 0
        for notice in queryset:
            try:
                service(notice=notice, actor=request.user, request=request)
                count += 1
            except NoticeError:
                refused += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                gettext("%(count)s notice(s) were not in a state that allows this.")
                % {"count": refused},
                messages.WARNING,
            )

    @admin.action(description=_("Publish the selected notices"), permissions=["change"])
    def publish(self, request, queryset):
        self._run(request, queryset, notice_publish, gettext("Published %(count)s notice(s)."))

    @admin.action(description=_("Unpublish the selected notices"), permissions=["change"])
    def unpublish(self, request, queryset):
        self._run(request, queryset, notice_unpublish, gettext("Unpublished %(count)s notice(s)."))

    @admin.action(
        description=_("End the selected notices now (maintenance is over)"), permissions=["change"]
    )
    def end_now(self, request, queryset):
        self._run(request, queryset, notice_end_now, gettext("Ended %(count)s notice(s)."))


@admin.register(FaqEntry)
class FaqEntryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "position", "published"]
    list_editable = ["position", "published"]
    list_filter = ["published"]
    search_fields = ["slug", "question_zh", "question_en", "answer_zh", "answer_en"]
    readonly_fields = ["updated_at", "updated_by"]
    fieldsets = [
        (None, {"fields": ["slug", "position", "published"]}),
        (_("Chinese"), {"fields": ["question_zh", "answer_zh", "link_label_zh"]}),
        (_("English"), {"fields": ["question_en", "answer_en", "link_label_en"]}),
        (
            _("Link"),
            {
                "fields": ["link_url"],
                "description": _(
                    "Answers may use {lock_failures}, {lock_minutes}, {lock_recurrence_hours}, "
                    "{lock_max_hours}, {lead_hours}, {password_min_length} and {idle_minutes}: "
                    "the help pages fill in the portal's current settings."
                ),
            },
        ),
        (_("History"), {"fields": ["updated_at", "updated_by"], "classes": ["collapse"]}),
    ]

    def save_model(self, request, obj, form, change):
        faq_entry_save(
            entry=obj, actor=request.user, request=request, changed_fields=form.changed_data
        )

    def delete_model(self, request, obj):
        faq_entry_delete(entry=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            faq_entry_delete(entry=entry, actor=request.user, request=request)
