"""Site-wide request hygiene."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from http import HTTPStatus

from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from portal.limits import LimitStoreDown, store_down_logged
from portal.views import unavailable_response


class RejectNulQueryMiddleware:
    """A NUL byte in the query string is never legitimate; PostgreSQL refuses it in any text
    parameter (a search box would turn it into a 500). Answer 400 before any view runs.

    Form bodies are left to the forms: Django's CharField refuses NUL with a form error, and the
    sign-in form still counts such an attempt toward the lockout. The JSON API (``/api/``) gets
    its answer as JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):  # machine readers: stable English, like the API
                return JsonResponse(
                    {
                        "error": "invalid_request",
                        "detail": "the query string contains control characters (NUL)",
                    },
                    status=HTTPStatus.BAD_REQUEST,
                )
            raise BadRequest(
                _("The address contains control characters (NUL), which are not allowed.")
            )
        return self.get_response(request)


FORM_URLENCODED = "application/x-www-form-urlencoded"


def _is_utf8(charset: str) -> bool:
    try:
        return codecs.lookup(charset).name == "utf-8"
    except LookupError:
        return False


class FormCharsetMiddleware:
    """Forms are read as UTF-8 only (as browsers send them and as Django requires for
    ``application/x-www-form-urlencoded``). A form posted with another declared charset
    (``iso-8859-1``, ``utf-16``, a name no codec has) is refused here with the 400 page, before
    the CSRF check or any view reads the body; a spelling of UTF-8 (``utf8``, ``UTF-8``) is read
    as UTF-8. Without this, Django raised ``BadRequest`` while reading the form in the CSRF check
    and again in the 400 view: a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        charset = request.content_params.get("charset")
        if request.method == "POST" and request.content_type == FORM_URLENCODED and charset:
            if not _is_utf8(charset):
                raise BadRequest(
                    f"form posted in charset {charset[:40]!r}; forms are read as UTF-8 only"
                )
            request.encoding = "utf-8"  # Django accepts only this spelling
        return self.get_response(request)


class LimitStoreDownMiddleware:
    """A limit whose store did not answer (``portal.limits.LimitStoreDown``, let through by
    the view) ends the request with 503 and ``Retry-After``: the translated "try again in a
    minute" page, or JSON under ``/api/``. The view's transaction is already rolled back, so
    nothing was sent, checked or written. One warning line says which limit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, LimitStoreDown):
            return None
        store_down_logged(exception, outcome="refused with 503")
        return unavailable_response(
            request,
            error="unavailable",
            detail="a rate limit cannot be checked right now; try again in a minute",
            template="portal/store_down.html",
            retry_seconds=exception.retry_after,
        )
