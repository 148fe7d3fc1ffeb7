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
