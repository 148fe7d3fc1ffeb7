"""JSON for other systems: /api/status (public). /api/lock-status is the sign-in app's
(``signin.api``)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from notices import conf
from notices.models import Notice
from notices.selectors import block_from_window, notices_window
from portal.times import iso_local, retry_after_seconds


def _notice_json(notice: Notice) -> dict:
    return {
        "id": notice.pk,
        "severity": notice.severity,
        "title": {"zh-hans": notice.title_in("zh-hans"), "en": notice.title_in("en")},
        "message": {"zh-hans": notice.message_in("zh-hans"), "en": notice.message_in("en")},
        "starts_at": iso_local(notice.starts_at),
        "ends_at": iso_local(notice.ends_at),
        "blocks_signin": notice.blocks_signin,
        # A warning, an outage or a sign-in block (not a mere announcement).
        "disruptive": notice.disruptive,
    }


@require_safe
def status(request: HttpRequest) -> JsonResponse:
    now = timezone.now()
    window = notices_window(now=now)
    block = block_from_window(window=window, now=now)
    body = {
        "server_time": iso_local(now),
        "server_time_ms": int(now.timestamp() * 1000),
        "time_zone": settings.TIME_ZONE,
        "signin": {
            "open": block is None,
            "reopens_at": iso_local(block.reopens_at) if block else None,
            "retry_after": retry_after_seconds(block.reopens_at, now=now) if block else None,
        },
        "active": [_notice_json(n) for n in window if n.is_active_at(now)],
        "upcoming": [_notice_json(n) for n in window if not n.is_active_at(now)],
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, public=True, max_age=conf.get("STATUS_API_MAX_AGE_SECONDS"))
    # Public information, shown on the login page anyway: business systems may fetch it from
    # their own pages. No credentials are involved.
    response["Access-Control-Allow-Origin"] = "*"
    return response
