"""Business-hours arithmetic for SLA deadlines. Pure functions of the calendar in ``conf``.

A deadline is "``minutes`` of business time after ``start``": only time inside the business
intervals of working days counts (holidays excluded, extra workdays included), in the tickets time
zone. With no working time configured at all, time counts around the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from tickets import conf

SEARCH_DAYS = 400  # a calendar with no working day in this long counts around the clock


@dataclass(frozen=True)
class Calendar:
    tz: object
    hours: tuple
    days: frozenset
    holidays: frozenset
    extra: frozenset

    @classmethod
    def current(cls) -> Calendar:
        return cls(
            tz=conf.time_zone(),
            hours=tuple(conf.business_hours()),
            days=conf.business_days(),
            holidays=conf.holidays(),
            extra=conf.extra_workdays(),
        )

    def is_workday(self, day: date) -> bool:
        if day in self.extra:
            return True
        return day.isoweekday() in self.days and day not in self.holidays

    def intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.hours or not self.is_workday(day):
            return []
        return [
            (datetime.combine(day, a, tzinfo=self.tz), datetime.combine(day, b, tzinfo=self.tz))
            for a, b in self.hours
        ]

    @property
    def around_the_clock(self) -> bool:
        return not self.hours or (not self.days and not self.extra)


def business_add(start: datetime, minutes: float, calendar: Calendar | None = None) -> datetime:
    """The moment ``minutes`` business minutes after ``start``."""
    cal = calendar or Calendar.current()
    remaining = timedelta(minutes=minutes)
    if cal.around_the_clock:
        return start + remaining
    local = start.astimezone(cal.tz)
    day = local.date()
    for _ in range(SEARCH_DAYS):
        for begin, end in cal.intervals(day):
            if end <= local:
                continue
            begin = max(begin, local)
            if begin + remaining <= end:
                return (begin + remaining).astimezone(start.tzinfo)
            remaining -= end - begin
        day += timedelta(days=1)
    return start + timedelta(minutes=minutes)


def business_minutes_between(
    start: datetime, end: datetime, calendar: Calendar | None = None
) -> float:
    """Business minutes from ``start`` to ``end`` (0 when ``end`` is not after ``start``)."""
    if end <= start:
        return 0.0
    cal = calendar or Calendar.current()
    if cal.around_the_clock:
        return (end - start).total_seconds() / 60
    total = timedelta()
    day = start.astimezone(cal.tz).date()
    last = end.astimezone(cal.tz).date()
    while day <= last:
        for begin, finish in cal.intervals(day):
            overlap = min(finish, end) - max(begin, start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds() / 60


def in_business_hours(at: datetime | None = None, calendar: Calendar | None = None) -> bool:
    cal = calendar or Calendar.current()
    if cal.around_the_clock:
        return True
    at = at or timezone.now()
    local = at.astimezone(cal.tz)
    return any(begin <= local < end for begin, end in cal.intervals(local.date()))


def next_business_start(at: datetime, calendar: Calendar | None = None) -> datetime:
    """``at`` itself inside business hours, else the start of the next business interval."""
    cal = calendar or Calendar.current()
    if cal.around_the_clock:
        return at
    local = at.astimezone(cal.tz)
    day = local.date()
    for _ in range(SEARCH_DAYS):
        for begin, end in cal.intervals(day):
            if end > local:
                return max(begin, local).astimezone(at.tzinfo)
        day += timedelta(days=1)
    return at


def first_response_due(start: datetime) -> datetime:
    return business_add(start, conf.get("TICKETS_SLA_FIRST_RESPONSE_MINUTES"))


def resolution_due(start: datetime) -> datetime:
    return business_add(start, conf.get("TICKETS_SLA_RESOLUTION_MINUTES"))
