"""The directory not answering (down, timed out, refused the service account) at any door: a
sign-in, a reset's new password, an unlock. The request ends with a clear 503 page (JSON under
``/api/``) and ``Retry-After``; the view's transaction is already rolled back, so nothing was
changed and no failure was counted against the person (``signin.backends`` gave the count back)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from directory.dialects import DirectoryUnavailable
from portal.views import unavailable_response

RETRY_AFTER_SECONDS = 60


class DirectoryDownMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DirectoryUnavailable):
            return None
        return unavailable_response(
            request,
            error="directory_unavailable",
            detail="the company directory does not answer; try again in a minute",
            template="directory/unavailable.html",
            retry_seconds=RETRY_AFTER_SECONDS,
        )
