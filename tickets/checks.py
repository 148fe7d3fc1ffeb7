"""System checks: a mistyped tickets setting stops start-up with a clear message, not a 500 on
the first request."""

from __future__ import annotations

from zoneinfo import ZoneInfoNotFoundError

from django.core.checks import Error, register

from portal import limits
from tickets import conf, sla


@register()
def tickets_settings_check(app_configs, **kwargs):
    errors = []
    for name in (
        "TICKETS_RATE_IP",
        "TICKETS_RATE_USERNAME",
        "TICKETS_RATE_ACCOUNT",
        "TICKETS_RATE_REPLY",
        "TICKETS_RATE_STATUS_MISS",
    ):
        try:
            limits.parse(conf.get(name))
        except (ValueError, TypeError) as exc:
            errors.append(Error(f"{name}: {exc}", id="tickets.E001"))
    try:
        calendar = sla.Calendar.current()
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        errors.append(
            Error(
                f"tickets business calendar: {exc}",
                hint="TICKETS_BUSINESS_HOURS is a list of ('HH:MM', 'HH:MM'); "
                "TICKETS_HOLIDAYS and TICKETS_EXTRA_WORKDAYS are ISO dates; "
                "TICKETS_TIME_ZONE is an IANA time zone.",
                id="tickets.E002",
            )
        )
    else:
        if calendar.around_the_clock and conf.get("TICKETS_BUSINESS_HOURS"):
            errors.append(Error("TICKETS_BUSINESS_DAYS names no working day", id="tickets.E003"))
    for name in ("TICKETS_SLA_FIRST_RESPONSE_MINUTES", "TICKETS_SLA_RESOLUTION_MINUTES"):
        value = conf.get(name)
        if not isinstance(value, int) or value <= 0:
            errors.append(Error(f"{name} must be a positive number of minutes", id="tickets.E004"))
    return errors
