"""The passes for admins and agents to look up (who asked, approved, issued; used or not; how it
ended). Read-only: passes are issued and revoked from the ticket page (``tickets``); the digest
is never shown."""

from django.contrib import admin

from access_pass.models import AccessPass
from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin


@admin.register(AccessPass)
class AccessPassAdmin(CalendarSafeChangelistMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "user",
        "state",
        "reference",
        "delivery",
        "issued_by",
        "approved_by",
        "issued_at",
        "expires_at",
        "used_at",
        "completed_how",
    ]
    list_filter = ["state", "delivery", "completed_how"]
    search_fields = ["user__username", "user__email", "reference"]
    list_select_related = ["user", "issued_by", "approved_by"]
    date_hierarchy = "requested_at"
    exclude = ["digest"]
    readonly_fields = [
        "user",
        "state",
        "reference",
        "delivery",
        "delivered_to",
        "requested_by",
        "requested_at",
        "approved_by",
        "approved_at",
        "issued_by",
        "issued_at",
        "expires_at",
        "failures",
        "used_at",
        "used_ip",
        "ended_at",
        "ended_by",
        "completed_how",
        "completed_at",
    ]
