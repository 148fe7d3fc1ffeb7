"""The one authentication backend: django-axes' standalone backend with our lockout gate in front
of Django's model backend, so every door that calls ``authenticate()`` (the site's sign-in page,
``/admin/login/``, any later wrapper around the admin) shares the same counters.

Per attempt: resolve the account (username, email or phone), count the attempt before any hashing
(refused at once when locked), then check the password exactly once: against the account's hash
when it has a usable one, otherwise against a stand-in account built the same way with a
throw-away hash by the default hasher (``signin.identity.account_stand_in``), so an unknown or
password-less account does the same work as a real one (one account object, one verify).

With a company directory (``DIRECTORY_URL``), the attempt the gate let through is checked by
the directory (``directory.authn``: a search, then a bind as the person or as a DN naming
nobody) plus the stand-in's hash, for every name; see ``_directory_check``.
"""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from django.contrib.auth.backends import ModelBackend

from directory import conf as directory_conf
from directory.authn import password_verify
from directory.dialects import DirectoryUnavailable
from directory.selectors import directory_account_of
from directory.services import account_from_entry
from portal.net import client_ip
from signin import browsers
from signin.attempt import Attempt, Refusal, Refused, attempt_of, door_of
from signin.identity import (
    MAX_IDENTIFIER_LENGTH,
    account_stand_in,
    identity_for_user,
    identity_resolve,
    typed_clean,
)
from signin.lockout import attempt_begin, attempt_release
from signin.refusals import quick_refusal
from signin.services import refusal_record

MAX_PASSWORD_LENGTH = 4096


class LockoutBackend(AxesStandaloneBackend, ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            raise AxesBackendRequestParameterRequired("sign-in needs the request (client IP)")
        attempt = attempt_of(request)
        attempt.check_begin()
        attempt.reason = ""
        attempt.unreleased = None
        if username is None or password is None:
            return None
        if len(str(username)) > 4 * MAX_IDENTIFIER_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
            attempt.reason = "bad_input"
            return None
        quick = quick_refusal(request, typed_clean(str(username)))
        if quick is not None:
            return self._refused(attempt, quick)
        identity = identity_resolve(typed=str(username), for_signin=True)
        attempt.identity = identity
        if not identity.key:
            attempt.reason = "bad_input"
            return None
        user = identity.user
        account = user if user is not None else account_stand_in()
        try:
            counted = attempt_begin(
                identity=identity,
                ip=client_ip(request),
                browser=browsers.known_browser_id(request, account),
                door=door_of(request),
                typed=True,
                on_refused=lambda refusal: refusal_record(request=request, refusal=refusal),
            )
        except Refused as refused:
            return self._refused(attempt, refused.refusal)
        attempt.counted = counted
        if directory_conf.enabled():
            found = self._directory_check(attempt, counted, identity, user, password)
            if found is not self.NOT_IN_DIRECTORY:
                return found
        usable = account.has_usable_password()
        right = (account if usable else account_stand_in()).check_password(password)
        if user is None or not usable:
            attempt.reason = "unknown_account" if user is None else "no_password"
            return None
        if not right:
            attempt.reason = "bad_password"
            return None
        if not self.user_can_authenticate(user):
            attempt.reason = "inactive"
            return None
        # Not a failure: its count is given back by the sign-in's bookkeeping after login(), or
        # by the next step, or at the end of the request (signin.middleware), whichever is first.
        attempt.counted = None
        attempt.unreleased = counted
        attempt.verified_user = user.pk
        return user

    NOT_IN_DIRECTORY = object()

    def _directory_check(self, attempt: Attempt, counted, identity, user, password):
        """The directory's bind decides for a name it knows (``directory.authn``; the stand-in's
        hash keeps the work the same as for any other name). A portal account not linked to the
        directory that the directory does not know either is checked by its own password
        (``NOT_IN_DIRECTORY``: a break-glass admin); a linked one it no longer finds is refused.
        The directory not answering gives the count back (never the person's failure) and
        raises ``DirectoryUnavailable`` (its middleware answers with the clear page)."""
        try:
            verdict = password_verify(typed=identity.typed, password=password)
        except DirectoryUnavailable:
            attempt_release(attempt=counted)
            attempt.counted = None
            attempt.reason = "directory_unavailable"
            raise
        if verdict.entry is None:
            if user is not None and directory_account_of(user) is None:
                return self.NOT_IN_DIRECTORY
            account_stand_in().check_password(password)
            attempt.reason = "unknown_account" if user is None else "directory_gone"
            return None
        account_stand_in().check_password(password)
        if not verdict.right:
            attempt.reason = "bad_password"
            return None
        user = account_from_entry(entry=verdict.entry, request=attempt.request)
        if user is None:
            attempt.reason = "directory_conflict"
            return None
        if not self.user_can_authenticate(user):
            attempt.reason = "inactive"
            return None
        attempt.identity = identity_for_user(user=user, typed=identity.typed)
        attempt.counted = None
        attempt.unreleased = counted
        attempt.verified_user = user.pk
        return user

    @staticmethod
    def _refused(attempt: Attempt, refusal: Refusal):
        attempt.reason = "locked"
        if refusal.lock is not None:
            attempt.refuse(refusal)
            raise AxesBackendPermissionDenied("locked") from None
        attempt.refusal = refusal
        return None  # the last allowed attempts are still being checked: plain failure
