"""Times as the JSON APIs and Retry-After headers give them."""

from __future__ import annotations

import math
from datetime import datetime

from django.utils import timezone


def iso_local(when: datetime | None) -> str | None:
    """``when`` in the portal's time zone, ISO 8601 to the second; None stays None."""
    return timezone.localtime(when).isoformat(timespec="seconds") if when else None


def retry_after_seconds(until: datetime, *, now: datetime) -> int:
    """Whole seconds until ``until``, rounded up, at least 1."""
    return max(1, math.ceil((until - now).total_seconds()))
