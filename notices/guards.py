"""The maintenance guard on the employee sign-in view.

While a published notice that blocks sign-in is active, the guarded view is never called: a GET
shows why sign-in is closed and until when, and a POST (a sign-in attempt) gets HTTP 503 with
``Retry-After``. No user is looked up and no password is hashed, so nothing counts toward a lockout
and nothing can be learned or guessed. Staff sign in at /admin/login/, which is not guarded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers

from notices.presenters import back_at_text
from notices.selectors import signin_block
from portal.times import retry_after_seconds

logger = logging.getLogger(__name__)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def signin_maintenance_guard(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        now = timezone.now()
        block = signin_block(now=now, request=request)
        if block is None:
            return view(request, *args, **kwargs)
        attempted = request.method not in SAFE_METHODS
        context = {
            "notice": block.notice,
            "reopens_at": block.reopens_at,
            "reopens_text": back_at_text(block.reopens_at, now=now),
            "attempted": attempted,
        }
        status = HTTPStatus.SERVICE_UNAVAILABLE if attempted else HTTPStatus.OK
        response = render(request, "notices/signin_paused.html", context, status=status)
        if attempted:
            response["Retry-After"] = str(retry_after_seconds(block.reopens_at, now=now))
            # An expected 503, not a server error: keep it out of django.request's ERROR log,
            # which would otherwise page someone for every employee who tries during maintenance.
            response._has_been_logged = True
            logger.debug("notices: sign-in attempt refused during notice %s", block.notice.pk)
        add_never_cache_headers(response)
        return response

    return guarded
