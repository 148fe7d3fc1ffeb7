"""The sign-in process after the right password: second step (TOTP or backup code) when the user
has a confirmed device, a forced change when the password expired, then ``login()``.

State between the steps lives under one session key (user id, steps left, where to go next, when
it started); it lasts ``SIGNIN_PENDING_MINUTES``. Nothing is signed in before the last step.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model, login, user_login_failed
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from accounts import twostep
from accounts.selectors import user_has_second_step
from portal.net import client_ip
from signin import browsers, conf, nexts
from signin.attempt import Refused, attempt_of, door_of
from signin.db import bookkeeping
from signin.identity import identity_for_user
from signin.lockout import attempt_begin, attempt_release
from signin.services import refusal_record

PENDING = "signin.pending"
BACKEND = "signin.backends.LockoutBackend"
CODE, PASSWORD = "code", "password"


@dataclass
class Pending:
    user: object
    steps: list[str]
    next_url: str

    @property
    def step(self) -> str:
        return self.steps[0]


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    return nexts.safe_next(request, candidate)


def has_second_step(user) -> bool:
    """Does the user have a confirmed TOTP device or backup-code set? A user found by the
    sign-in's own lookup already knows (``accounts.selectors``, ``with_second_step``); otherwise
    one query."""
    known = getattr(user, "has_second_step", None)
    if isinstance(known, bool | int):  # SQLite answers 0 or 1
        return bool(known)

    return user_has_second_step(user_id=user.pk)


def password_expired(user) -> bool:
    max_age = conf.password_max_age()
    if max_age is None or not user.has_usable_password():
        return False
    set_at = user.password_changed_at or user.date_joined
    return set_at + max_age <= timezone.now()


def password_ok(*, request: HttpRequest, user, next_url: str) -> str | None:
    """The password was right. Returns the next step's name, or None once signed in."""
    steps = []
    if has_second_step(user):
        steps.append(CODE)
    if password_expired(user):
        steps.append(PASSWORD)
    if not steps:
        complete(request=request, user=user)
        return None
    release_pending(request)  # the password was right: not a failure
    pending_start(request=request, user=user, steps=steps, next_url=next_url)
    return steps[0]


def pending_start(
    *, request: HttpRequest, user, steps: list[str], next_url: str, device=None, door: str = ""
) -> None:
    """Steps still due before ``user`` is signed in (``device``: a second step already passed
    on the way, as at the admin login; ``door``: "admin" when that is where it began)."""
    state = {
        "uid": user.pk,
        # Ties the pending steps to this password: a reset or change meanwhile ends them.
        "auth": user.get_session_auth_hash(),
        "steps": steps,
        "next": next_url,
        "at": int(time.time()),
    }
    if device is not None:
        state["device"] = device.persistent_id
    if door:
        state["door"] = door
    request.session[PENDING] = state


def pending_door(request: HttpRequest) -> str:
    """Where the pending sign-in began ("admin"), or ""."""
    state = request.session.get(PENDING)
    return str(state.get("door") or "") if isinstance(state, dict) else ""


def pending_next(request: HttpRequest) -> str:
    """Where the pending sign-in goes once its steps are done (as stored, to be checked), or ""."""
    state = request.session.get(PENDING)
    return str(state.get("next") or "") if isinstance(state, dict) else ""


def pending_get(request: HttpRequest) -> Pending | None:
    state = request.session.get(PENDING)
    if not isinstance(state, dict):
        return None
    age = int(time.time()) - int(state.get("at", 0))
    if age < 0 or age > int(conf.get("SIGNIN_PENDING_MINUTES")) * 60 or not state.get("steps"):
        pending_drop(request)
        return None
    user = get_user_model().objects.filter(pk=state.get("uid"), is_active=True).first()
    if user is None or not constant_time_compare(
        str(state.get("auth", "")), user.get_session_auth_hash()
    ):
        pending_drop(request)
        return None
    return Pending(user=user, steps=list(state["steps"]), next_url=state.get("next") or "")


def pending_drop(request: HttpRequest) -> None:
    request.session.pop(PENDING, None)


def step_done(*, request: HttpRequest, pending: Pending, device=None) -> str | None:
    """One step passed. Returns the next step's name, or None once signed in."""
    steps = pending.steps[1:]
    if steps:
        state = dict(request.session[PENDING])
        state["steps"] = steps
        if device is not None:
            state["device"] = device.persistent_id
        request.session[PENDING] = state
        return steps[0]
    complete(request=request, user=pending.user, device=device or _device_from_state(request))
    return None


def _device_from_state(request: HttpRequest):
    from django_otp.models import Device

    persistent_id = (request.session.get(PENDING) or {}).get("device")
    return Device.from_persistent_id(persistent_id) if persistent_id else None


def code_check(*, request: HttpRequest, user, code: str):
    """Check a second-step code of ``user`` (the sign-in's step, or a signed-in session's
    confirmation), counted on the same lockout counters as a password, before it is checked.

    Returns the device that accepted the code, or None. A wrong code, or a code sent while
    locked (neither counted nor checked), goes through the same failure path as a wrong password
    (``user_login_failed``); ``attempt_of(request).locked_out`` then says whether to show the lock
    page.
    """
    identity = identity_for_user(user=user)
    attempt = attempt_of(request)
    attempt.identity = identity
    attempt.check_begin()
    try:
        counted = attempt_begin(
            identity=identity,
            ip=client_ip(request),
            browser=browsers.known_browser_id(request, user),
            door=door_of(request),
            on_refused=lambda refusal: refusal_record(request=request, refusal=refusal),
        )
    except Refused as refused:
        attempt.refusal = refused.refusal
        attempt.reason = "locked"
        attempt.locked_out = refused.refusal.lock is not None
    else:
        device = _verify(user=user, code=code)
        if device is not None:
            attempt_release(attempt=counted)
            return device
        attempt.counted = counted
        attempt.reason = "bad_code"
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )
    return None


def _verify(*, user, code: str):
    with transaction.atomic():
        device, _throttled = twostep.second_factor_match(user=user, token=code)
    return device


def complete(*, request: HttpRequest, user, device=None) -> None:
    """Sign in: new session key, the device remembered for django-otp, bookkeeping (the
    ``user_logged_in`` receivers: counters, audit, session record, known browser), in one
    transaction with the new session row."""
    pending_drop(request)
    attempt = attempt_of(request)
    if device is not None:
        user.otp_device = device  # django_otp.login() runs on user_logged_in
        attempt.second_step = _step_name(device.persistent_id)
    attempt.verified_user = user.pk
    # Without a session yet (the usual case) login() itself writes nothing (signin.sessions) and
    # the sign-in's records are one message (signin.services): it is its own transaction, sent
    # without BEGIN and COMMIT. A session to replace adds its DELETE: one transaction then.
    with bookkeeping(alone=request.session.session_key is None):
        login(request, user, backend=BACKEND)


def _step_name(persistent_id: str) -> str:
    if "webauthn" in persistent_id:
        return "passkey"
    return "totp" if "totp" in persistent_id else "backup_code"


def release_pending(request: HttpRequest) -> None:
    """Give back the count of a right password whose sign-in did not complete in this request
    (a second step follows, or a door refused the account after the check)."""
    attempt = attempt_of(request)
    if attempt.unreleased is not None:
        counted, attempt.unreleased = attempt.unreleased, None
        attempt_release(attempt=counted)
