"""Reads on notices and help content.

The banner sits on every page, so the notices that can show are read from the shared cache: one
list of the published notices that have not ended yet (current, upcoming and later ones), stored
as plain rows under ``CACHE_KEY``. Every save or delete through ``notices.services`` drops that
key after commit, so all web nodes see a change on their next request; ``NOTICES_CACHE_SECONDS``
(30 s) is only a backstop for writes made around the services. Which notice is active, upcoming or
over is decided per request in Python against the current time, so a notice appears and disappears
on time without anyone touching the cache. With the cache warm, a page makes no database query for
notices.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import router
from django.db.models import Q, QuerySet
from django.utils import timezone

from notices import conf
from notices.models import FaqEntry, Notice

logger = logging.getLogger(__name__)

CACHE_KEY = "notices:window:v1"
# Far more than any real schedule; keeps a runaway import from bloating every page.
MAX_CACHED = 100
_ROW_FIELDS = (
    "id",
    "title_zh",
    "title_en",
    "message_zh",
    "message_en",
    "severity",
    "starts_at",
    "ends_at",
    "blocks_signin",
    "published",
)


# --- The cached window -------------------------------------------------------------------------
def _rows_from_db(*, now: datetime) -> list[dict]:
    queryset = Notice.objects.filter(published=True, ends_at__gt=now).order_by("starts_at", "id")
    return list(queryset.values(*_ROW_FIELDS)[:MAX_CACHED])


def _cached_rows() -> list[dict]:
    try:
        rows = cache.get(CACHE_KEY)
    except Exception:  # the cache being down must not take every page with it
        logger.warning("notices: cache read failed; reading notices from the database")
        return _rows_from_db(now=timezone.now())
    if rows is None:
        rows = _rows_from_db(now=timezone.now())
        try:
            cache.set(CACHE_KEY, rows, conf.get("NOTICES_CACHE_SECONDS"))
        except Exception:
            logger.warning("notices: cache write failed")
    return rows


def _as_notice(row: dict) -> Notice:
    """A cached row as the instance a query would have loaded (from the database it reads)."""
    names = [f.attname for f in Notice._meta.concrete_fields if f.attname in row]  # model order
    return Notice.from_db(router.db_for_read(Notice), names, [row[name] for name in names])


def _sort_key(notice: Notice, now: datetime) -> tuple:
    # What is happening now before what is planned; then the most severe; then the earliest.
    return (not notice.is_active_at(now), -notice.severity_rank, notice.starts_at, notice.pk)


def lead_time() -> timedelta:
    return timedelta(hours=conf.get("NOTICE_LEAD_HOURS"))


def notices_window(*, now: datetime | None = None, request=None) -> list[Notice]:
    """Published notices that are active, or upcoming within NOTICE_LEAD_HOURS, in banner order.

    Active notices come first, each group ordered by severity (outage, warning, information),
    then by start. Overlapping notices are allowed and all show. With ``request``, the cached
    list is read once per request (the sign-in guard and the page's banner share it).
    """
    now = now or timezone.now()
    show_from = now + lead_time()
    rows = getattr(request, "_notices_rows", None) if request is not None else None
    if rows is None:
        rows = _cached_rows()
        if request is not None:
            request._notices_rows = rows
    notices = [
        _as_notice(row)
        for row in rows
        if row["published"] and row["ends_at"] > now and row["starts_at"] <= show_from
    ]
    notices.sort(key=lambda n: _sort_key(n, now))
    return notices


def notices_active(*, now: datetime | None = None) -> list[Notice]:
    now = now or timezone.now()
    return [n for n in notices_window(now=now) if n.is_active_at(now)]


def notices_disruptive(*, now: datetime | None = None) -> list[Notice]:
    """Active warnings, outages and sign-in blocks: what can make sign-in or a system fail.

    Informational notices ("new help pages") are left out of the troubleshooter's verdict, the
    unlock form's question and message footers; they still show in the banner and the API.
    """
    return [n for n in notices_active(now=now) if n.disruptive]


def notices_for_question(*, now: datetime | None = None) -> list[Notice]:
    """Active notices an employee's problem may be caused by (the unlock form asks about them)."""
    return notices_disruptive(now=now)


# --- Sign-in block -----------------------------------------------------------------------------
@dataclass(frozen=True)
class SigninBlock:
    notice: Notice  # the active blocking notice that explains the block
    reopens_at: datetime  # when sign-in opens again (blocking notices that follow on included)


def block_from_window(*, window: list[Notice], now: datetime) -> SigninBlock | None:
    blocking = [n for n in window if n.blocks_signin]
    active = [n for n in blocking if n.is_active_at(now)]
    if not active:
        return None
    notice = max(active, key=lambda n: (n.severity_rank, n.ends_at, -n.pk))
    reopens_at = max(n.ends_at for n in active)
    # A blocking notice that starts before (or when) this block ends extends it.
    for later in sorted(blocking, key=lambda n: n.starts_at):
        if later.starts_at <= reopens_at < later.ends_at:
            reopens_at = later.ends_at
    return SigninBlock(notice=notice, reopens_at=reopens_at)


def signin_block(*, now: datetime | None = None, request=None) -> SigninBlock | None:
    """The current sign-in block, or None when employees may sign in."""
    now = now or timezone.now()
    return block_from_window(window=notices_window(now=now, request=request), now=now)


def signin_block_notice(*, now: datetime | None = None) -> Notice | None:
    """The active notice that closes employee sign-in, or None."""
    block = signin_block(now=now)
    return block.notice if block else None


# --- Admin helpers -----------------------------------------------------------------------------
def notices_active_q(*, now: datetime | None = None) -> Q:
    """Published notices in force at ``now`` (``Notice.state_at`` "active"), for the admin's
    filter and the agents' desk."""
    now = now or timezone.now()
    return Q(published=True, starts_at__lte=now, ends_at__gt=now)


def notices_in_force(*, now: datetime | None = None) -> QuerySet[Notice]:
    return Notice.objects.filter(notices_active_q(now=now))


def notices_overlapping(*, notice: Notice) -> QuerySet[Notice]:
    """Other published notices whose time overlaps this one (the admin warns about them)."""
    return (
        Notice.objects.filter(
            published=True, starts_at__lt=notice.ends_at, ends_at__gt=notice.starts_at
        )
        .exclude(pk=notice.pk)
        .order_by("starts_at")
    )


# --- Help content ------------------------------------------------------------------------------
def faq_entries() -> QuerySet[FaqEntry]:
    return FaqEntry.objects.filter(published=True).order_by("position", "id")


def faq_entries_by_slug(*, slugs: list[str]) -> dict[str, FaqEntry]:
    return {e.slug: e for e in FaqEntry.objects.filter(published=True, slug__in=slugs)}
