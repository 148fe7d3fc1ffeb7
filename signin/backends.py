"""The one authentication backend: django-axes' standalone backend with our lockout gate in front
of Django's model backend, so every door that calls ``authenticate()`` (the site's sign-in page,
``/admin/login/``, any later wrapper around the admin) shares the same counters.

Per attempt: resolve the account (username, email or phone), count the attempt before any hashing
(refused at once when locked), then check the password exactly once: against the account's hash
when it has a usable one, otherwise against a stand-in account built the same way with a
throw-away hash by the default hasher (``signin.identity.account_stand_in``), so an unknown or
password-less account does the same work as a real one (one account object, one verify).
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from django.contrib.auth.backends import ModelBackend

from portal.net import client_ip
from signin import browsers
from signin.identity import (
    MAX_IDENTIFIER_LENGTH,
    account_stand_in,
    identity_resolve,
    typed_clean,
)
from signin.lockout import Refusal, Refused, attempt_begin
from signin.refusals import quick_refusal
from signin.services import door_of, refusal_record

MAX_PASSWORD_LENGTH = 4096


class LockoutBackend(AxesStandaloneBackend, ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            raise AxesBackendRequestParameterRequired("sign-in needs the request (client IP)")
        request.signin_attempt = None
        request.signin_refusal = None
        request.signin_reason = ""
        request.signin_finalized = False
        request.signin_unreleased = None
        request.signin_refusal_recorded = False
        if username is None or password is None:
            return None
        if len(str(username)) > 4 * MAX_IDENTIFIER_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            request.signin_reason = "bad_input"
            return None
        quick = quick_refusal(request, typed_clean(str(username)))
        if quick is not None:
            return self._refused(request, quick)
        identity = identity_resolve(typed=str(username), for_signin=True)
        request.signin_identity = identity
        if not identity.key:
            request.signin_reason = "bad_input"
            return None
        user = identity.user
        account = user if user is not None else account_stand_in()
        try:
            attempt = attempt_begin(
                identity=identity,
                ip=client_ip(request),
                browser=browsers.known_browser_id(request, account),
                door=door_of(request),
                typed=True,
                on_refused=lambda refusal: refusal_record(request=request, refusal=refusal),
            )
        except Refused as refused:
            return self._refused(request, refused.refusal)
        request.signin_attempt = attempt
        usable = account.has_usable_password()
        right = (account if usable else account_stand_in()).check_password(password)
        if user is None or not usable:
            request.signin_reason = "unknown_account" if user is None else "no_password"
            return None
        if not right:
            request.signin_reason = "bad_password"
            return None
        if not self.user_can_authenticate(user):
            request.signin_reason = "inactive"
            return None
        # Not a failure: its count is given back by the sign-in's bookkeeping after login(), or
        # by the next step, or at the end of the request (signin.middleware), whichever is first.
        request.signin_attempt = None
        request.signin_unreleased = attempt
        request.signin_verified_user = user.pk
        return user

    @staticmethod
    def _refused(request, refusal: Refusal):
        request.signin_refusal = refusal
        request.signin_reason = "locked"
        if refusal.lock is not None:
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("locked") from None
        return None  # the last allowed attempts are still being checked: plain failure
