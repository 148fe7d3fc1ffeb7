"""Template context for every page: the maintenance banner and the sign-in block."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from notices.presenters import back_at_text, banner_item
from notices.selectors import block_from_window, notices_window
from notices.services import SESSION_DISMISSED


def _dismissed_ids(request: HttpRequest) -> set[int]:
    # Only look into a session that exists: an anonymous page without a session cookie must not
    # cost a session query (or create a session) just to learn that nothing was dismissed.
    if settings.SESSION_COOKIE_NAME not in request.COOKIES or not hasattr(request, "session"):
        return set()
    return {i for i in request.session.get(SESSION_DISMISSED, []) if isinstance(i, int)}


def notices(request: HttpRequest) -> dict:
    """``site_notices`` (banner items in order), ``signin_block_notice`` and its recovery time."""
    now = timezone.now()
    window = notices_window(now=now, request=request)
    if not window:
        return {"site_notices": [], "signin_block_notice": None, "signin_reopens_at": None}
    dismissed = _dismissed_ids(request) if any(n.dismissible for n in window) else set()
    block = block_from_window(window=window, now=now)
    items = [banner_item(n, now=now) for n in window if not (n.dismissible and n.pk in dismissed)]
    return {
        "site_notices": items,
        "site_notices_dismissible": any(item.dismissible for item in items),
        "signin_block_notice": block.notice if block else None,
        "signin_reopens_at": block.reopens_at if block else None,
        "signin_reopens_text": back_at_text(block.reopens_at, now=now) if block else "",
    }
