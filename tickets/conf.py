"""Knobs of the tickets app, read lazily from Django settings with these defaults.

Every knob is a Django setting (``TICKETS_...``) so a deployment can override it in its settings
module; the README lists them. Nothing is read at import time.
"""

from __future__ import annotations

from datetime import date, time
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULTS = {
    # --- SLA -------------------------------------------------------------------------------
    # Targets in business minutes (time inside business hours only).
    "TICKETS_SLA_FIRST_RESPONSE_MINUTES": 30,
    "TICKETS_SLA_RESOLUTION_MINUTES": 240,
    # A ticket is "near breach" when its next deadline is this close (business minutes or not).
    "TICKETS_SLA_WARNING_MINUTES": 15,
    # Business hours: intervals per working day in TICKETS_TIME_ZONE ("HH:MM", "HH:MM"), so a
    # lunch break is two intervals. Working days are ISO weekdays (1 = Monday ... 7 = Sunday).
    "TICKETS_BUSINESS_HOURS": [("09:00", "18:00")],
    "TICKETS_BUSINESS_DAYS": [1, 2, 3, 4, 5],
    # Public holidays (ISO dates) and weekend days that are working days (调休), both optional.
    "TICKETS_HOLIDAYS": [],
    "TICKETS_EXTRA_WORKDAYS": [],
    "TICKETS_TIME_ZONE": None,  # None: settings.TIME_ZONE
    # --- Spam and abuse: "count/period" specs, comma-separated; period s, m, h or d --------
    "TICKETS_RATE_IP": "10/h,30/d",  # submissions (valid or not) from one client IP
    # Requests for one typed name, any IP, keyed on its canonical form (accounts.identifiers:
    # case, width, spaces and phone spellings folded): the visible limit, a 429.
    "TICKETS_RATE_USERNAME": "3/h,6/d",
    # Requests for one account whatever spelling named it (the canonical text for an unknown
    # name): past it a request is filed and answered as usual but flagged, and nobody is told.
    "TICKETS_RATE_ACCOUNT": "3/h,6/d",
    "TICKETS_RATE_REPLY": "10/h",  # replies on one ticket
    "TICKETS_RATE_STATUS_MISS": "30/h",  # status links that match nothing, per IP
    # --- Behaviour ---------------------------------------------------------------------------
    "TICKETS_REOPEN_WINDOW_HOURS": 24,  # relock within this after an auto-resolve reopens
    "TICKETS_TEXT_MAX_LENGTH": 2000,  # description, replies, agent messages
    "TICKETS_UNLOCK_REASON_MIN_LENGTH": 15,  # written reason for an unverified unlock
    "TICKETS_TIMELINE_DAYS": 14,  # how far back the account timeline looks
    "TICKETS_QUEUE_COUNT_CAP": 10_000,  # the queue paginator counts at most this many rows
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def time_zone() -> ZoneInfo:
    return ZoneInfo(get("TICKETS_TIME_ZONE") or settings.TIME_ZONE)


def business_hours() -> list[tuple[time, time]]:
    intervals = []
    for start, end in get("TICKETS_BUSINESS_HOURS"):
        begin, finish = time.fromisoformat(start), time.fromisoformat(end)
        if finish <= begin:
            raise ValueError(f"TICKETS_BUSINESS_HOURS: {start}-{end} ends before it starts")
        intervals.append((begin, finish))
    return sorted(intervals)


def business_days() -> frozenset[int]:
    return frozenset(int(d) for d in get("TICKETS_BUSINESS_DAYS"))


def holidays() -> frozenset[date]:
    return frozenset(date.fromisoformat(str(d)) for d in get("TICKETS_HOLIDAYS"))


def extra_workdays() -> frozenset[date]:
    return frozenset(date.fromisoformat(str(d)) for d in get("TICKETS_EXTRA_WORKDAYS"))
