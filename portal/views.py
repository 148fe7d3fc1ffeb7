"""Site-wide pages: home, health, the 400 page and the 503 answer of a part that is down."""

from __future__ import annotations

import time
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal.celery import app as celery_app


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


class _CsrfCookieOnly(CsrfViewMiddleware):
    """The CSRF cookie's half of the middleware: the page's forms get a token that matches the
    browser's cookie (set if missing), and nothing is checked. Django's own error views use
    ``requires_csrf_token``, which runs the check: it reads the body again, and a body that
    could not be read the first time then turns the 400 into a 500."""

    def process_view(self, request, callback, callback_args, callback_kwargs):
        return None


csrf_cookie_only = decorator_from_middleware(_CsrfCookieOnly)


@csrf_cookie_only
def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler400``: the portal's 400 page, in the visitor's language; never reads the body."""
    return render(request, "400.html", status=400)


def unavailable_response(
    request: HttpRequest, *, error: str, detail: str, template: str, retry_seconds: int
) -> HttpResponse:
    """The 503 of a part that does not answer (a limit's store, the directory): JSON under
    ``/api/``, else the page ``template`` saying when to try again; ``Retry-After``, never
    cached."""
    status = HTTPStatus.SERVICE_UNAVAILABLE
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"error": error, "detail": detail}, status=status)
    else:
        context = {"retry_minutes": max(1, retry_seconds // 60)}
        response = render(request, template, context, status=status)
    response["Retry-After"] = str(retry_seconds)
    add_never_cache_headers(response)
    return response


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_cache() -> dict:
    started = time.perf_counter()
    try:
        cache.set("healthz:probe", "1", 10)
        ok = cache.get("healthz:probe") == "1"
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": ok, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _check_broker() -> dict:
    if not settings.CELERY_BROKER_URL:
        return {"ok": True, "mode": "in-process"}

    started = time.perf_counter()
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
    return {"ok": True, "mode": "broker", "ms": round((time.perf_counter() - started) * 1000, 1)}


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "cache": _check_cache(), "broker": _check_broker()}
    status = 200 if checks["database"]["ok"] else 503
    overall = "ok" if all(c["ok"] for c in checks.values()) else "degraded"
    if status != 200:
        overall = "down"
    return JsonResponse({"status": overall, "checks": checks}, status=status)
