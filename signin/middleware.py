"""Session policy: idle timeout (SESSION_IDLE_MINUTES, 30) and absolute lifetime (12 hours) of a
signed-in session, checked on the server on every request; and the known-browser cookie that a
sign-in through either door leaves behind; and a page on its way to an app (its ``next`` an
authorization request) lets its forms end at the app's registered origin (``form-action``).

Place after ``AuthenticationMiddleware`` (and django-otp's middleware).
"""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from signin import browsers, conf, nexts
from signin.attempt import attempt_of
from signin.flow import pending_next, release_pending
from signin.services import SESSION_LAST_SEEN, SESSION_SIGNED_IN_AT
from signin.session_records import session_touch


class SessionPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        response = self.get_response(request)
        release_pending(request)
        cookie = attempt_of(request).known_browser_cookie
        if cookie:
            browsers.cookie_set(response, cookie)
        if response.status_code == 200:
            _allow_forms_on_to_the_app(request, response)
        return response

    def _check(self, request: HttpRequest) -> None:
        now = int(time.time())
        session = request.session
        signed_in_at = session.get(SESSION_SIGNED_IN_AT)
        last_seen = session.get(SESSION_LAST_SEEN)
        if not isinstance(signed_in_at, int) or not isinstance(last_seen, int):
            # A session from before this policy (or a test's force_login): start its clocks now.
            session[SESSION_SIGNED_IN_AT] = signed_in_at if isinstance(signed_in_at, int) else now
            session[SESSION_LAST_SEEN] = now
            return
        idle = now - last_seen > conf.idle_timeout().total_seconds()
        too_old = now - signed_in_at > conf.absolute_timeout().total_seconds()
        if idle or too_old:
            reason = "idle_timeout" if idle else "absolute_timeout"
            attempt_of(request).signout_reason = reason
            logout(request)
            messages.info(
                request,
                _("You were signed out after %(minutes)d minutes without activity.")
                % {"minutes": conf.idle_timeout().total_seconds() // 60}
                if idle
                else _("You were signed out because your session reached its maximum length."),
            )
            return
        if now - last_seen >= int(conf.get("SIGNIN_SESSION_TOUCH_SECONDS")):
            session[SESSION_LAST_SEEN] = now
            if session.session_key:
                session_touch(session_key=session.session_key)


# The sign-in's later steps keep the ``next`` in the pending session state, not in the page.
PENDING_STEP_PAGES = {"code", "password_expired"}


def _allow_forms_on_to_the_app(request: HttpRequest, response: HttpResponse) -> None:
    """A sign-in page on its way to an app (its ``next`` an authorization request): its form's
    redirects may end at the app's registered origin (browsers hold the whole chain to the
    page's ``form-action``)."""
    match = request.resolver_match
    if "next" in request.GET or (request.method == "POST" and "next" in request.POST):
        origins = nexts.form_origins(request)
    elif match is not None and match.namespace == "signin" and match.url_name in PENDING_STEP_PAGES:
        origins = nexts.form_origins(request, pending_next(request))
    else:
        return
    if origins:
        update = getattr(response, "_csp_update", None) or {}
        update["form-action"] = [*update.get("form-action", []), *origins]
        response._csp_update = update
