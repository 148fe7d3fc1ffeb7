"""SLA deadlines in business hours, with a time zone, holidays and make-up workdays."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from portal.limits import parse
from tests.tickets.conftest import at
from tickets import sla


def test_inside_business_hours_the_clock_runs():
    assert sla.business_add(at(9, 0), 30) == at(9, 30)
    assert sla.business_add(at(17, 0), 60) == at(18, 0)


def test_time_after_closing_rolls_to_the_next_working_morning():
    assert sla.business_add(at(17, 50), 30) == at(9, 20, day=25)
    assert sla.business_add(at(22, 0), 30) == at(9, 30, day=25)
    # Friday evening -> Monday morning
    assert sla.business_add(at(17, 30, day=27), 240) == at(12, 30, day=30)


def test_holidays_and_make_up_workdays(settings):
    settings.TICKETS_HOLIDAYS = ["2026-11-25"]
    settings.TICKETS_EXTRA_WORKDAYS = ["2026-11-28"]  # a Saturday worked (调休)
    assert sla.business_add(at(17, 30), 60) == at(9, 30, day=26)
    assert sla.business_add(at(17, 30, day=27), 60) == at(9, 30, day=28)


def test_lunch_break_and_other_time_zones(settings):
    settings.TICKETS_BUSINESS_HOURS = [("09:00", "12:00"), ("13:00", "18:00")]
    assert sla.business_add(at(11, 30), 60) == at(13, 30)
    settings.TICKETS_TIME_ZONE = "Europe/Berlin"
    berlin = ZoneInfo("Europe/Berlin")
    start = datetime(2026, 11, 24, 9, 0, tzinfo=berlin)
    assert sla.business_add(start, 30) == datetime(2026, 11, 24, 9, 30, tzinfo=berlin)


def test_business_minutes_between():
    assert sla.business_minutes_between(at(9), at(11)) == 120
    assert sla.business_minutes_between(at(17), at(10, day=25)) == 120
    assert sla.business_minutes_between(at(11), at(9)) == 0


def test_around_the_clock_when_no_hours_are_set(settings):
    settings.TICKETS_BUSINESS_HOURS = []
    assert sla.business_add(at(23, 0), 30) == at(23, 30)
    assert sla.in_business_hours(at(3, 0))


def test_business_hours_checked(settings):
    settings.TICKETS_BUSINESS_HOURS = [("18:00", "09:00")]
    with pytest.raises(ValueError, match="ends before it starts"):
        sla.business_add(at(9), 10)


def test_rate_limit_specs():
    assert [(r.count, r.seconds) for r in parse("3/h, 10/5m,6/d")] == [
        (3, 3600),
        (10, 300),
        (6, 86400),
    ]
    with pytest.raises(ValueError):
        parse("3 per hour")


def test_a_mistyped_setting_is_a_start_up_error(settings):
    from tickets.checks import tickets_settings_check

    assert tickets_settings_check(None) == []
    settings.TICKETS_RATE_IP = "ten per hour"
    settings.TICKETS_BUSINESS_HOURS = [("9h", "18h")]
    settings.TICKETS_SLA_RESOLUTION_MINUTES = 0
    ids = sorted(e.id for e in tickets_settings_check(None))
    assert ids == ["tickets.E001", "tickets.E002", "tickets.E004"]
