"""What the all-staff group's robot hears about maintenance (``messaging.services.robots_notify``,
docs/messengers.md): a notice published, its start, a change of its recovery time, its end.

``notices_robots_sweep`` runs every minute (beat) and compares each published notice with what
the robots were already told, which the outbox's once-only keys remember (``notice:<id>:...``
per robot): nothing is announced twice, and a worker or a beat that was down catches up. Notices
that ended more than a day ago are left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.functional import lazy

from messaging.models import OutboxMessage
from messaging.services import robots_notify
from notices.models import Notice

LOOKBACK = timedelta(days=1)


def _when(value: datetime) -> str:
    return formats.date_format(timezone.localtime(value), "Y-m-d H:i")


def _title(notice: Notice):
    # Rendered in each robot's language (the outbox renders under it): the notice's own text.
    return lazy(lambda: notice.title_in(None), str)()


def _announced_ends(notice: Notice) -> int | None:
    """The recovery time (epoch seconds) the robots were last told for ``notice``."""
    keys = (
        OutboxMessage.objects.filter(
            Q(idempotency_key__contains=f":notice:{notice.pk}:published:")
            | Q(idempotency_key__contains=f":notice:{notice.pk}:ends:"),
            channel=OutboxMessage.Channel.ROBOT,
        )
        .order_by("-created_at", "-id")
        .values_list("idempotency_key", flat=True)
    )
    latest = keys.first()
    return int(latest.rsplit(":", 1)[1]) if latest else None


def _notify(kind: str, notice: Notice, key: str, **extra) -> int:
    context = {
        "title": _title(notice),
        "starts": _when(notice.starts_at),
        "ends": _when(notice.ends_at),
        "url": settings.PORTAL_BASE_URL.rstrip("/") + "/",
        **extra,
    }
    return len(robots_notify(kind=kind, context=context, key=f"notice:{notice.pk}:{key}"))


def notice_robots_announce(*, notice: Notice, now: datetime) -> int:
    """Tell the robots what changed about ``notice`` since they last heard; returns the count."""
    ends = int(notice.ends_at.timestamp())
    told = _announced_ends(notice)
    if notice.ends_at <= now:
        if told is None:
            return 0  # never announced (published after it ended): nothing to end
        return _notify("robot_notice_ended", notice, "ended", ended=_when(notice.ends_at))
    queued = 0
    if told is None:
        queued += _notify("robot_notice_published", notice, f"published:{ends}")
    elif told != ends:
        previous = datetime.fromtimestamp(told, tz=timezone.get_current_timezone())
        queued += _notify(
            "robot_notice_changed", notice, f"ends:{ends}", previous_ends=_when(previous)
        )
    if notice.starts_at <= now:
        queued += _notify(
            "robot_notice_started", notice, f"started:{int(notice.starts_at.timestamp())}"
        )
    return queued


def notices_robots_sweep(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    recent = Notice.objects.filter(published=True, ends_at__gte=now - LOOKBACK).order_by("pk")
    return sum(notice_robots_announce(notice=notice, now=now) for notice in recent[:100])
