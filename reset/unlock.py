"""The self-service unlock with a code, without a reset (the lock page's "I know my password").

The reset journey's own steps carry it: ``reset_start`` with ``purpose="unlock"`` (same caps,
same page and timing whatever was typed), the worker's dispatch (``reset.dispatch``: a code only
for an account that is locked, to its verified contact), ``reset_verify`` (5 tries, the same
streaks and blocks). A right code ends here: the portal's lock and the directory's are lifted
(``signin.unlock.lock_clear``, ``how="self_unlock"``), the password stays, the owner is told, an
audit row says so; the sign-in after it goes back to the app it was for (``return_to``).
``SELF_UNLOCK_ENABLED`` (reset.conf) turns the whole door off.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.http import HttpRequest

from accounts.models import User
from audit.services import audit_record
from directory.selectors import directory_lock_view
from messaging.services import messaging_notify_user
from portal.net import browser_label, client_ip, user_agent
from reset import conf, limits
from reset.models import ResetFlow
from reset.outcome import Outcome
from signin.identity import identity_resolve
from signin.models import Scope, UnlockHow
from signin.selectors import locks_active
from signin.unlock import lock_clear

RESET_PATH = "/accounts/password/reset/"


def self_unlock_enabled() -> bool:
    return bool(conf.get("SELF_UNLOCK_ENABLED"))


def account_locked(user: User) -> bool:
    """Whether ``user`` is locked now: the portal's lock (account or one of its browsers) or the
    company directory's (a directory that does not answer counts as locked: the unlock tries)."""
    key = identity_resolve(typed=user.get_username()).key
    portal = locks_active().filter(scope__in=[Scope.ACCOUNT, Scope.BROWSER])
    if portal.filter(Q(user=user) | Q(key=key)).exists():
        return True
    view = directory_lock_view(user=user)
    return view is not None and (view.locked or view.unreachable)


def unlock_complete(*, flow: ResetFlow, now: datetime, request: HttpRequest | None) -> Outcome:
    """The right code for an unlock flow (inside ``reset_verify``'s transaction, the flow row
    locked): lift the locks, keep the password, tell the owner, audit."""
    user = flow.user
    flow.state = ResetFlow.State.DONE
    flow.verified_at = now
    flow.completed_at = now
    flow.save(update_fields=["state", "verified_at", "completed_at"])
    limits.clear_streaks(flow, step="code")
    # Any other unlock still open for this account is done with too.
    ResetFlow.objects.filter(
        user=user, purpose=ResetFlow.Purpose.UNLOCK, state=ResetFlow.State.CODE_SENT
    ).exclude(pk=flow.pk).update(expires_at=now)
    lifted = lock_clear(username=user.get_username(), how=UnlockHow.SELF_UNLOCK, request=request)
    ip = client_ip(request) if request is not None else (flow.ip or "")
    messaging_notify_user(
        user=user,
        kind="account_self_unlocked",
        context={
            "unlocked_at": now,
            "ip": ip,
            "browser": browser_label(user_agent(request)) if request is not None else "",
            "reset_path": RESET_PATH,
        },
    )
    audit_record(
        event="reset.self_unlocked",
        request=request,
        user=user,
        subject=user.get_username(),
        data={"flow": flow.pk, "channel": flow.channel, "lifted": lifted},
    )
    return Outcome(ok=True, next_step="login", return_to=flow.return_to)
