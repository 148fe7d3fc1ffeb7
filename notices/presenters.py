"""How notices read to people: times in the portal's time zone, "in 25 minutes", banner items."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from notices.models import Notice


def clock_time(when: datetime, *, now: datetime) -> str:
    """14:00 today, or 25 November 14:00 on another day, in the current time zone."""
    local = timezone.localtime(when)
    time_part = date_format(local, "H:i")
    if local.date() == timezone.localtime(now).date():
        return time_part
    return _("%(date)s %(time)s") % {
        "date": date_format(local, "MONTH_DAY_FORMAT"),
        "time": time_part,
    }


def duration_until(when: datetime, *, now: datetime) -> str:
    """25 minutes / 2 hours, 5 minutes / less than a minute."""
    if (when - now).total_seconds() < 60:
        return _("less than a minute")
    return timeuntil(when, now, depth=2)


def back_at_text(when: datetime, *, now: datetime) -> str:
    return _("expected back at %(time)s (in %(duration)s)") % {
        "time": clock_time(when, now=now),
        "duration": duration_until(when, now=now),
    }


def when_text(notice: Notice, *, now: datetime) -> str:
    if notice.is_active_at(now):
        if not notice.disruptive:  # an announcement: nothing is down, nothing "comes back"
            return _("until %(time)s") % {"time": clock_time(notice.ends_at, now=now)}
        return back_at_text(notice.ends_at, now=now)
    return _("from %(start)s to %(end)s (starts in %(duration)s)") % {
        "start": clock_time(notice.starts_at, now=now),
        "end": clock_time(notice.ends_at, now=notice.starts_at),
        "duration": duration_until(notice.starts_at, now=now),
    }


@dataclass(frozen=True)
class BannerItem:
    id: int
    severity: str
    severity_label: str
    active: bool
    title: str
    message: str
    when: str
    blocks_signin: bool
    dismissible: bool


def banner_item(notice: Notice, *, now: datetime) -> BannerItem:
    return BannerItem(
        id=notice.pk,
        severity=notice.severity,
        severity_label=notice.get_severity_display(),
        active=notice.is_active_at(now),
        title=notice.title,
        message=notice.message,
        when=when_text(notice, now=now),
        blocks_signin=notice.blocks_signin,
        dismissible=notice.dismissible,
    )
