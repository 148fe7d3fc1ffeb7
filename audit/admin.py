from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from audit.sentences import event_sentence
from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin, RecentListFilter


class RecentFilter(RecentListFilter):
    field = "created_at"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, CalendarSafeChangelistMixin, admin.ModelAdmin):
    # The row in words (what, from where, which browser, by whom); the raw details are on the
    # row's own page.
    list_display = ["created_at", "what", "user", "subject"]
    list_filter = [RecentFilter, "event"]
    search_fields = ["event", "subject", "user__username", "ip"]
    date_hierarchy = "created_at"
    list_select_related = ["user", "actor"]
    show_full_result_count = False

    @admin.display(description=_("what happened"), ordering="event")
    def what(self, obj: AuditEvent) -> str:
        return event_sentence(obj)
