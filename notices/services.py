"""Writes on notices and help content. Each change is audited and refreshes the shared cache."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from audit.services import audit_record
from notices.errors import NoticeError
from notices.models import FaqEntry, Notice, Severity
from notices.selectors import CACHE_KEY, notices_window

logger = logging.getLogger(__name__)

SESSION_DISMISSED = "notices_dismissed"
MAX_DISMISSED = 50


def notices_cache_invalidate() -> None:
    """Drop the cached notice list; the next request on any web node reloads it."""
    try:
        cache.delete(CACHE_KEY)
    except Exception:
        logger.warning("notices: cache invalidation failed; the cached list expires by itself")


def _invalidate_on_commit() -> None:
    # Now, and again after commit: a request that reloaded the old rows in between (before this
    # transaction became visible) cannot keep them for the whole cache lifetime.
    notices_cache_invalidate()
    transaction.on_commit(notices_cache_invalidate)


def _notice_data(notice: Notice, changed: list[str] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "notice": notice.pk,
        "severity": notice.severity,
        "starts_at": notice.starts_at.isoformat(),
        "ends_at": notice.ends_at.isoformat(),
        "blocks_signin": notice.blocks_signin,
        "published": notice.published,
    }
    if changed is not None:
        data["changed"] = sorted(changed)
    return data


def notice_save(
    *,
    notice: Notice,
    actor: Any,
    request: HttpRequest | None = None,
    changed_fields: list[str] | None = None,
) -> Notice:
    """Validate and store a new or edited notice (the admin's form calls this)."""
    creating = notice._state.adding
    now = timezone.now()
    notice.full_clean()
    with transaction.atomic():
        if creating:
            notice.created_at = now
            notice.created_by = actor if getattr(actor, "pk", None) else None
        notice.updated_at = now
        notice.updated_by = actor if getattr(actor, "pk", None) else None
        notice.save()
        audit_record(
            event="notices.notice_created" if creating else "notices.notice_updated",
            request=request,
            actor=actor,
            subject=notice.title_en or notice.title_zh,
            data=_notice_data(notice, None if creating else list(changed_fields or [])),
        )
        _invalidate_on_commit()
    return notice


def notice_create(
    *,
    actor: Any,
    title_zh: str,
    title_en: str,
    starts_at: datetime,
    ends_at: datetime,
    message_zh: str = "",
    message_en: str = "",
    severity: str = Severity.INFO,
    blocks_signin: bool = False,
    published: bool = True,
    request: HttpRequest | None = None,
) -> Notice:
    notice = Notice(
        title_zh=title_zh,
        title_en=title_en,
        message_zh=message_zh,
        message_en=message_en,
        severity=severity,
        starts_at=starts_at,
        ends_at=ends_at,
        blocks_signin=blocks_signin,
        published=published,
    )
    return notice_save(notice=notice, actor=actor, request=request)


def notice_delete(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        data = _notice_data(notice)
        subject = notice.title_en or notice.title_zh
        notice.delete()
        audit_record(
            event="notices.notice_deleted", request=request, actor=actor, subject=subject, data=data
        )
        _invalidate_on_commit()


def _set_published(
    *, notice: Notice, actor: Any, request: HttpRequest | None, published: bool
) -> Notice:
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.published == published:
            raise NoticeError(
                "the notice is already published" if published else "the notice is not published"
            )
        notice.published = published
        notice.updated_at = timezone.now()
        notice.updated_by = actor if getattr(actor, "pk", None) else None
        notice.save(update_fields=["published", "updated_at", "updated_by"])
        audit_record(
            event="notices.notice_published" if published else "notices.notice_unpublished",
            request=request,
            actor=actor,
            subject=notice.title_en or notice.title_zh,
            data=_notice_data(notice),
        )
        _invalidate_on_commit()
    return notice


def notice_publish(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> Notice:
    return _set_published(notice=notice, actor=actor, request=request, published=True)


def notice_unpublish(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> Notice:
    return _set_published(notice=notice, actor=actor, request=request, published=False)


def notice_end_now(*, notice: Notice, actor: Any, request: HttpRequest | None = None) -> Notice:
    """The maintenance is over early: end the notice (and any sign-in block) now."""
    with transaction.atomic():
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        now = timezone.now()
        if not notice.published or not notice.is_active_at(now):
            raise NoticeError("only a published, active notice can be ended")
        notice.ends_at = max(now, notice.starts_at + timedelta(seconds=1))
        notice.updated_at = now
        notice.updated_by = actor if getattr(actor, "pk", None) else None
        notice.save(update_fields=["ends_at", "updated_at", "updated_by"])
        audit_record(
            event="notices.notice_ended",
            request=request,
            actor=actor,
            subject=notice.title_en or notice.title_zh,
            data=_notice_data(notice),
        )
        _invalidate_on_commit()
    return notice


# --- Per-session dismissal -------------------------------------------------------------------
def notice_dismiss(*, session: SessionBase, notice_id: int) -> bool:
    """Hide an informational notice for the rest of this session. False if it cannot be hidden."""
    notice = next((n for n in notices_window() if n.pk == notice_id), None)
    if notice is None or not notice.dismissible:
        return False
    dismissed = [i for i in session.get(SESSION_DISMISSED, []) if isinstance(i, int)]
    if notice_id not in dismissed:
        dismissed.append(notice_id)
    session[SESSION_DISMISSED] = dismissed[-MAX_DISMISSED:]
    return True


# --- Help content ----------------------------------------------------------------------------
def faq_entry_save(
    *,
    entry: FaqEntry,
    actor: Any,
    request: HttpRequest | None = None,
    changed_fields: list[str] | None = None,
) -> FaqEntry:
    creating = entry._state.adding
    entry.full_clean()
    with transaction.atomic():
        entry.updated_at = timezone.now()
        entry.updated_by = actor if getattr(actor, "pk", None) else None
        entry.save()
        audit_record(
            event="notices.faq_created" if creating else "notices.faq_updated",
            request=request,
            actor=actor,
            subject=entry.slug,
            data={"faq": entry.pk, "changed": sorted(changed_fields or [])},
        )
    return entry


def faq_entry_delete(*, entry: FaqEntry, actor: Any, request: HttpRequest | None = None) -> None:
    with transaction.atomic():
        data = {"faq": entry.pk}
        subject = entry.slug
        entry.delete()
        audit_record(
            event="notices.faq_deleted", request=request, actor=actor, subject=subject, data=data
        )
