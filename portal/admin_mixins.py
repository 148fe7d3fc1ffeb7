"""Pieces shared by the portal's model admins."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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


RECENT_PERIODS = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}


def recent_since(value: str | None, *, now: datetime | None = None) -> datetime | None:
    """The start of a ``RecentListFilter`` period ("1h", "24h", "7d"), or None for any other."""
    period = RECENT_PERIODS.get(value or "")
    return (now or timezone.now()) - period if period else None


class RecentListFilter(admin.SimpleListFilter):
    """Rows of the last hour, 24 hours or 7 days by ``field`` (a subclass names it): the links of
    the agents' desk ("locked in the last hour") land on the same rows they counted."""

    title = _("when")
    parameter_name = "since"
    field = ""

    def lookups(self, request, model_admin):
        return [("1h", _("Last hour")), ("24h", _("Last 24 hours")), ("7d", _("Last 7 days"))]

    def queryset(self, request, queryset):
        since = recent_since(self.value())
        return queryset.filter(**{f"{self.field}__gte": since}) if since else queryset
