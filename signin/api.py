"""/api/lock-status: whether an account is locked, for trusted systems that send the shared
secret (``LOCK_STATUS_API_SECRET``) in the ``X-Portal-Secret`` header. JSON only."""

from __future__ import annotations

import hashlib
import hmac
from http import HTTPStatus

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from audit.services import audit_record
from directory.conf import enabled as directory_enabled
from directory.selectors import directory_lock_view
from portal import limits
from portal.net import client_ip
from portal.times import iso_local, retry_after_seconds
from signin import conf
from signin.identity import identity_resolve
from signin.selectors import lock_status as signin_lock_status

SECRET_HEADER = "X-Portal-Secret"  # noqa: S105 (a header name)
USERNAME_MAX_LENGTH = 150
BAD_SECRET_WINDOW = 600


def _error(status: HTTPStatus, code: str, detail: str, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": code, "detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    add_never_cache_headers(response)
    return response


def _secret_matches(given: str, expected: str) -> bool:
    # Hash both sides first: compare_digest then also hides the length of the secret.
    given_digest = hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest()
    expected_digest = hashlib.sha256(expected.encode("utf-8")).digest()
    return hmac.compare_digest(given_digest, expected_digest)


def _username_problem(username: str | None) -> str | None:
    if username is None or not username.strip():
        return "the username query parameter is required"
    if len(username) > USERNAME_MAX_LENGTH:
        return f"the username is too long: at most {USERNAME_MAX_LENGTH} characters"
    if any(not ch.isprintable() for ch in username):
        return "the username contains control characters"
    return None


def _directory_lock(username: str):
    if not directory_enabled():
        return None
    user = identity_resolve(typed=username).user
    return directory_lock_view(user=user) if user is not None else None


def _directory_json(view) -> dict | None:
    """The company directory's lock: null when the account is not a directory account."""
    if view is None:
        return None
    if view.unreachable:
        return {"reachable": False}
    return {
        "reachable": True,
        "locked": view.locked,
        "locked_until": iso_local(view.until) if view.locked else None,
        "failures": view.failures,
    }


@require_GET
def lock_status(request: HttpRequest) -> JsonResponse:
    expected = conf.get("LOCK_STATUS_API_SECRET")
    if not expected:
        return _error(HTTPStatus.NOT_FOUND, "not_found", "this API is turned off")
    ip = client_ip(request)
    bad_limit = conf.get("LOCK_STATUS_API_BAD_SECRET_LIMIT")
    bad_spec = f"{bad_limit}/{BAD_SECRET_WINDOW}s"
    if limits.peek("lock-status-bad", ip, bad_spec):
        return _error(
            HTTPStatus.TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many refused requests from this address; try again later",
            Retry_After=str(BAD_SECRET_WINDOW),
        )
    if not _secret_matches(request.headers.get(SECRET_HEADER, ""), expected):
        limits.hit("lock-status-bad", ip, bad_spec)
        with transaction.atomic():
            audit_record(
                # The event keeps the name it had when the notices app served this API: audit
                # rows already written carry it.
                event="notices.lock_status_refused",
                request=request,
                data={"reason": "missing" if SECRET_HEADER not in request.headers else "wrong"},
            )
        return _error(
            HTTPStatus.UNAUTHORIZED,
            "unauthorized",
            f"send the shared secret in the {SECRET_HEADER} header",
        )
    if limits.hit("lock-status", ip, f"{conf.get('LOCK_STATUS_API_RATE_PER_MINUTE')}/m"):
        return _error(
            HTTPStatus.TOO_MANY_REQUESTS,
            "too_many_requests",
            "rate limit exceeded; try again in a minute",
            Retry_After="60",
        )
    username = request.GET.get("username")
    problem = _username_problem(username)
    if problem:
        return _error(HTTPStatus.BAD_REQUEST, "invalid_username", problem)

    now = timezone.now()
    state = signin_lock_status(username=username)
    locked_until = state.locked_until if state.locked else None
    directory = _directory_lock(username)
    if not state.locked and directory is not None and directory.locked:
        locked_until = directory.until
    response = JsonResponse(
        {
            "username": username,
            "locked": bool(state.locked or (directory is not None and directory.locked)),
            "locked_until": iso_local(locked_until),
            "retry_after": retry_after_seconds(locked_until, now=now) if locked_until else None,
            "reference": state.reference if state.locked else None,
        }
        | ({"directory": _directory_json(directory)} if directory_enabled() else {}),
        json_dumps_params={"ensure_ascii": False},
    )
    add_never_cache_headers(response)
    return response
