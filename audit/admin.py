from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.labels import details_text, event_label
from audit.models import AuditEvent
from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin, RecentListFilter


class RecentFilter(RecentListFilter):
    field = "created_at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, CalendarSafeChangelistMixin, admin.ModelAdmin):
    list_display = ["created_at", "what", "user", "subject", "actor", "ip", "details"]
    list_filter = [RecentFilter, "event"]
    search_fields = ["event", "subject", "user__username", "ip"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "actor"]
    show_full_result_count = False

    @admin.display(description=_("event"), ordering="event")
    def what(self, obj: AuditEvent) -> str:
        return event_label(obj.event)

    @admin.display(description=_("details"))
    def details(self, obj: AuditEvent) -> str:
        return details_text(obj.data)
