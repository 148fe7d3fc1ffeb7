"""``AXES_HANDLER``: django-axes' database handler with our policy.

axes' signal receivers call this handler for every failed sign-in (``user_login_failed``), every
sign-in (``user_logged_in``) and sign-out, whichever door was used. We keep axes' attempt records
(``AccessAttempt`` per account, IP and browser; its sign-in log is off, see the settings) and hand
the decisions to ``signin.services``. Two stock behaviours are replaced:

- axes deletes expired attempts on every sign-in, failure and sign-out through an unindexed
  column; here that work is done by the scheduled cleanup (``signin.tasks.signin_cleanup``), and
  migration ``signin.0002`` indexes the column anyway;
- axes' own count (attempts within the cool-off, extended by retries) is replaced by the counters
  in ``signin.lockout``.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler

from portal.net import client_ip
from signin import services
from signin.attempt import attempt_of
from signin.browsers import known_browser_id
from signin.identity import identity_resolve
from signin.lockout import refusal_check
from signin.selectors import lock_status


class PortalAxesHandler(AxesDatabaseHandler):
    def is_locked(self, request, credentials: dict | None = None) -> bool:
        typed = (credentials or {}).get("username")
        if typed is None:
            return False

        identity = identity_resolve(typed=typed)
        browser = known_browser_id(request, identity.user)
        return refusal_check(identity=identity, ip=client_ip(request), browser=browser) is not None

    def get_failures(self, request, credentials: dict | None = None) -> int:
        typed = (credentials or {}).get("username")
        return lock_status(username=typed).failures if typed else 0

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:
            return
        services.signin_failed(request=request, typed=(credentials or {}).get("username"))

    def user_logged_in(self, sender, request, user, **kwargs):
        # Only a sign-in whose credentials were checked here (either door, any second step) is
        # recorded; a login() without them (a test's force_login) is not a sign-in.
        if request is None or attempt_of(request).verified_user != user.pk:
            return
        services.signin_succeeded(request=request, user=user)

    def user_logged_out(self, sender, request, user, **kwargs):
        if request is None:
            return
        reason = attempt_of(request).signout_reason
        services.signout_record(request=request, user=user, reason=reason)

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        return 0  # the scheduled cleanup does it, in batches, off the sign-in path
