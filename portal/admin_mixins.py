"""Pieces shared by the portal's model admins."""

from __future__ import annotations

from django.contrib.admin.options import IncorrectLookupParameters


class CalendarSafeChangelistMixin:
    """Dates at the ends of the calendar (9999-12-31 plus a day in the date hierarchy, year 1
    made aware in local time) overflow inside Django's date hierarchy and date filters. They are
    bad parameters (Django's ``?e=1`` redirect), not a 500."""

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc


class ReadOnlyAdminMixin:
    """Rows written by the services, never by hand in the admin: nobody adds, changes or
    deletes them here. ``admin_may_change`` / ``admin_may_delete`` hand one of them back to
    Django's permission check (an admin that changes rows through its own actions, say)."""

    admin_may_change = False
    admin_may_delete = False

    def has_add_permission(self, request, *args) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return self.admin_may_change and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.admin_may_delete and super().has_delete_permission(request, obj)
