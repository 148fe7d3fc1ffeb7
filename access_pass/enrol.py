"""After a sign-in with a pass: the person sets a new password or registers a passkey before
anything else (``access_pass.middleware`` holds the session to those pages until then).

The new password goes through ``accounts.services.user_password_set`` (the password rules and
history, every other session ended, the company directory written, ``password_changed`` sent,
so apps get their back-channel logout) and lifts the sign-in lock as a reset does. A passkey is
the passkey app's; the guard sees one more than there was at the pass's sign-in
(``passkeys.selectors.passkeys_count``) and ends the hold. Either way the pass's record says so,
it is audited (``access_pass.completed``), the owner is told and ``pass_completed`` goes out.
"""

from __future__ import annotations

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from access_pass.door import ENROL
from access_pass.models import AccessPass
from access_pass.services import notice_send
from access_pass.signals import pass_completed
from accounts import sessions
from accounts.services import user_password_set
from audit.services import audit_record
from passkeys.selectors import passkeys_count
from signin import nexts
from signin.unlock import lock_clear

PASSWORD, PASSKEY = "password", "passkey"


def enrol_pending(request: HttpRequest) -> dict | None:
    """The session's hold (pass id, next, passkeys at sign-in), or None."""
    state = request.session.get(ENROL)
    return state if isinstance(state, dict) else None


def enrol_next(request: HttpRequest, state: dict) -> str:
    """Where the person goes once done: the ``next`` the sign-in kept, checked again."""
    return nexts.safe_next(request, state.get("next"))


def _complete(*, request: HttpRequest, user, state: dict, how: str) -> None:
    now = timezone.now()
    access_pass = (
        AccessPass.objects.select_for_update().filter(pk=state.get("pass"), user=user).first()
    )
    if access_pass is not None:
        access_pass.completed_how, access_pass.completed_at = how, now
        access_pass.save(update_fields=["completed_how", "completed_at"])
    audit_record(
        event="access_pass.completed",
        request=request,
        actor=user,
        user=user,
        subject=user.get_username(),
        data={"pass": state.get("pass"), "how": how},
    )
    notice_send(user=user, event=how)
    if access_pass is not None:
        access_pass.user = user
        transaction.on_commit(
            lambda: pass_completed.send(
                sender=AccessPass, user=user, access_pass=access_pass, how=how
            ),
            robust=True,
        )


def enrol_password(*, request: HttpRequest, new_password: str) -> None:
    """Set the new password of the signed-in person held by a pass (``ValidationError`` with the
    reasons when refused: nothing changes then). This session stays signed in; every other one
    ends; the lock is lifted as a reset lifts it."""
    state = enrol_pending(request)
    if state is None:
        raise ValueError("no sign-in with a pass to complete")
    user = request.user
    old_key = request.session.session_key
    with transaction.atomic():
        user_password_set(
            user=user,
            raw_password=new_password,
            reason="access_pass",
            request=request,
            actor=user,
            keep_session_key=old_key,
        )
        lock_clear(username=user.get_username(), how="reset", request=request)
        _complete(request=request, user=user, state=state, how=PASSWORD)
    user.refresh_from_db()
    update_session_auth_hash(request, user)
    sessions.session_rekey(old_key=old_key, new_key=request.session.session_key)
    request.session.pop(ENROL, None)


def enrol_passkey_check(*, request: HttpRequest) -> bool:
    """Whether the held person has registered a passkey since the pass's sign-in; if so the
    hold ends (recorded, audited, told). Called by the guard on each held request."""
    state = enrol_pending(request)
    if state is None:
        return False
    if passkeys_count(user_id=request.user.pk) <= int(state.get("passkeys") or 0):
        return False
    with transaction.atomic():
        _complete(request=request, user=request.user, state=state, how=PASSKEY)
    request.session.pop(ENROL, None)
    return True
