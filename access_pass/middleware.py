"""Holds a session signed in with a temporary access pass to the enrolment pages (choose, set a
new password, register a passkey) and sign-out, until one of the two is done. Every other page,
the admin, the APIs and an app's authorization request are refused: a page view (GET) is sent to
the choice page, anything else gets a 403. A passkey registered meanwhile ends the hold.

Place after ``AuthenticationMiddleware`` and the sign-in's session policy, before anything that
may redirect a signed-in user elsewhere (the recovery contact prompt).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from access_pass.door import ENROL
from access_pass.enrol import enrol_next, enrol_passkey_check, enrol_pending

ALWAYS_OPEN = ("/static/", "/i18n/", "/healthz")


def passkey_url() -> str:
    """The passkeys app's "register a passkey" page; its JSON endpoints lie below it."""
    return reverse("passkeys:register")


def open_paths() -> tuple[str, ...]:
    paths = [
        reverse("access_pass:enrol"),
        reverse("access_pass:password"),
        reverse("signin:logout"),
        passkey_url(),
    ]
    return (*ALWAYS_OPEN, *paths)


class EnrolmentGuardMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        if session is None or ENROL not in session or user is None or not user.is_authenticated:
            return self.get_response(request)
        state = enrol_pending(request) or {}
        if enrol_passkey_check(request=request):
            if request.method in ("GET", "HEAD") and request.path == passkey_url():
                return self.get_response(request)
            return redirect(enrol_next(request, state))
        if request.path.startswith(open_paths()):
            return self.get_response(request)
        if request.method in ("GET", "HEAD"):
            return redirect("access_pass:enrol")
        return HttpResponseForbidden(
            _("Set a new password or register a passkey first."), content_type="text/plain"
        )
