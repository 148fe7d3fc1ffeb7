"""The self-service password reset, step by step (allauth's "flow" pattern: views only delegate).

1. ``reset_start``: the browser sends what the user typed and a channel. The request does the
   same work whatever was typed: one ``ResetFlow`` row, one audit row, caps keyed on what was
   typed and on the client address; then a task (after commit) looks the account up and sends
   the code if one matched and has a verified contact. No account lookup, no provider call and
   no account-dependent work happen inside the request, so neither the answer nor its timing
   tells whether the account exists.
2. ``reset_verify``: the code, checked under a row lock (one success among concurrent tries).
3. ``reset_second_factor``: an authenticator or backup code when the account has TOTP.
4. ``reset_complete``: the new password; every session ends, the lock goes, a notice goes out;
   the browser is not signed in.

What is visible to the browser is keyed on what was typed (and the client address), so an
identifier that matches nothing meets every cap and block at the same count and with the same
words. Caps on the account itself apply silently in the task (the code is not sent, an audit row
says why); an account blocked after 20 consecutive wrong codes gets a notice on its own verified
contacts instead.

The flow key lives only in the browser's session; the database keeps its SHA-256.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from accounts import codes, twostep
from accounts.models import ContactCodeDevice, User, normalize_identifier
from accounts.services import user_password_set
from audit.services import audit_record
from messaging.services import messaging_notify_user
from portal.net import browser_label, client_ip, user_agent
from reset import conf, dispatch, limits, unlock
from reset.keys import sha, typed_key
from reset.models import ResetFlow
from reset.outcome import Outcome
from signin import nexts
from signin.browsers import typed_known
from signin.flow import has_second_step
from signin.unlock import lock_clear

logger = logging.getLogger(__name__)

SESSION_KEY = "accounts.reset_flow"
UNLOCK_SESSION_KEY = "reset.unlock_flow"  # an unlock's flow: a reset in the same browser goes on
OPEN_STATES = (
    ResetFlow.State.CODE_SENT,
    ResetFlow.State.SECOND_FACTOR,
    ResetFlow.State.READY,
)


# --- reads --------------------------------------------------------------------------------------
def session_key(purpose: str) -> str:
    return UNLOCK_SESSION_KEY if purpose == ResetFlow.Purpose.UNLOCK else SESSION_KEY


def flow_key_from_session(request: HttpRequest, purpose: str = ResetFlow.Purpose.RESET) -> str:
    """The browser's flow key, or "" when absent or not the shape we store."""
    key = request.session.get(session_key(purpose))
    if not isinstance(key, str) or not 20 <= len(key) <= 100:
        return ""
    return key


def flow_from_session(
    request: HttpRequest, *, lock: bool = False, purpose: str = ResetFlow.Purpose.RESET
) -> ResetFlow | None:
    key = flow_key_from_session(request, purpose)
    flow = flow_by_key(key, lock=lock) if key else None
    return flow if flow is None or flow.purpose == purpose else None


def flow_by_key(key: str, *, lock: bool = False) -> ResetFlow | None:
    """The flow whose key is ``key``. The account is not loaded (``flow.user`` is fetched on first
    use, which only the steps past the code need): building a ``User`` (its phone number parsed)
    for a real account and nothing for an unknown one made a wrong code measurably slower for a
    real account. ``flow.user_active`` (None without an account) comes from the same query."""
    qs = ResetFlow.objects.annotate(user_active=F("user__is_active"))
    if lock:
        # NO KEY UPDATE: the steps change no key, and a code device being written for this flow
        # (its KEY SHARE) must not make a step wait.
        qs = qs.select_for_update(of=("self",), no_key=True)
    return qs.filter(key_hash=sha(key)).first()


def has_second_factor(user: User) -> bool:
    """Whenever sign-in would ask for a second step (an authenticator or backup codes)."""
    return has_second_step(user)


def user_is_active(flow: ResetFlow) -> bool:
    """Whether the flow's account is active, without loading it when ``flow_by_key`` read it."""
    active = getattr(flow, "user_active", None)
    if active is None:
        return flow.user_id is not None and flow.user.is_active
    return bool(active)


def audit_user_ref(flow: ResetFlow) -> User:
    """The flow's account as an audit row's FK, built the same way whatever matched (a bare
    instance holding only the id; ``audit_record`` stores no user when the id is None)."""
    return User(pk=flow.user_id)


def step_for(flow: ResetFlow) -> str:
    return {
        ResetFlow.State.CODE_SENT: "verify",
        ResetFlow.State.SECOND_FACTOR: "second_factor",
        ResetFlow.State.READY: "new_password",
    }.get(flow.state, "login")


def flow_problem(flow: ResetFlow | None, *, now: datetime | None = None) -> str | None:
    """Why this flow cannot go on, as a MESSAGES key, or None."""
    now = now or timezone.now()
    if flow is None:
        return "no_flow"
    if flow.state == ResetFlow.State.DONE:
        return "done"
    if flow.state == ResetFlow.State.FAILED:
        return "failed"
    if flow.is_expired(now):
        return "expired"
    if flow.state in (ResetFlow.State.SECOND_FACTOR, ResetFlow.State.READY):
        # Past the code the browser knows the account exists; one disabled since cannot go on.
        if flow.user_id is None or not user_is_active(flow):
            return "expired"
        window = timedelta(seconds=conf.get("RESET_NEW_PASSWORD_SECONDS"))
        if flow.verified_at and now >= flow.verified_at + window:
            return "too_late"
    return None


def _not_at(
    flow: ResetFlow | None, state: str, *, now: datetime, invited: bool | None = None
) -> Outcome | None:
    """Why ``flow`` cannot take the step for ``state`` (it cannot go on, or it is elsewhere; with
    ``invited`` set, also when it was or was not started by an agent's link), or None."""
    problem = flow_problem(flow, now=now)
    if problem:
        return Outcome(ok=False, error=problem)
    if flow.state != state or (invited is not None and bool(flow.started_by_id) != invited):
        return Outcome(ok=False, error="already_verified", next_step=step_for(flow))
    return None


def _audit_refusal(*, request: HttpRequest, subject: str, outcome: Outcome, step: str) -> None:
    audit_record(
        event="reset.refused",
        request=request,
        subject=subject,
        data={"step": step, "reason": outcome.error},
    )


# --- 1. start -----------------------------------------------------------------------------------
def reset_start(
    *,
    request: HttpRequest,
    identifier: str,
    channel: str,
    next_url: str = "",
    purpose: str = ResetFlow.Purpose.RESET,
) -> Outcome:
    """Start a reset (or, ``purpose="unlock"``, an unlock with a code: ``reset.unlock``) for
    whatever was typed; store the flow key in the session. ``next_url`` (checked by the caller,
    ``signin.nexts``) is kept on the flow: the sign-in after the reset returns there, whichever
    step the browser is at when it comes back."""
    if channel not in codes.CHANNELS:
        raise ValueError("channel must be email or sms")
    if purpose not in ResetFlow.Purpose.values:
        raise ValueError("purpose must be reset or unlock")
    ip = client_ip(request)
    key = typed_key(identifier)
    typed = normalize_identifier(identifier)[:254]
    subject = typed[:150]
    # A browser that signed in with this very text already knows the account exists, and is most
    # likely its owner's: a pause caused by strangers' wrong codes does not stop it.
    known = typed_known(request, identifier)
    refusal = limits.visible_caps(ip=ip, key=key, channel=channel, known_browser=known)
    if refusal is not None:
        with transaction.atomic():
            _audit_refusal(request=request, subject=subject, outcome=refusal, step="start")
        return refusal
    now = timezone.now()
    flow_key = secrets.token_urlsafe(32)
    with transaction.atomic():
        flow = ResetFlow.objects.create(
            key_hash=sha(flow_key),
            identifier_key=key,
            typed=typed,
            purpose=purpose,
            channel=channel,
            created_at=now,
            expires_at=now + timedelta(seconds=conf.get("RESET_FLOW_TTL_SECONDS")),
            code_expires_at=now + timedelta(seconds=codes.code_ttl_seconds()),
            last_sent_at=now,
            sends=1,
            ip=ip,
            known_browser=known,
            return_to=next_url[: nexts.NEXT_MAX_LENGTH],
        )
        audit_record(
            event="reset.requested"
            if purpose == ResetFlow.Purpose.RESET
            else "reset.unlock_requested",
            request=request,
            actor=None,
            subject=subject,
            data={"flow": flow.pk, "channel": channel},
        )
        limits.count_send(ip=ip, key=key, channel=channel)
        dispatch.dispatch_on_commit(flow.pk, 1)
    request.session[session_key(purpose)] = flow_key
    return Outcome(ok=True, next_step="verify")


# --- 1b. resend ---------------------------------------------------------------------------------
def reset_resend(
    *, request: HttpRequest, channel: str | None = None, purpose: str = ResetFlow.Purpose.RESET
) -> Outcome:
    """A new code for the browser's flow (after 60 s), optionally by the other channel."""
    ip = client_ip(request)
    now = timezone.now()
    with transaction.atomic():
        flow = flow_from_session(request, lock=True, purpose=purpose)
        refusal = _not_at(flow, ResetFlow.State.CODE_SENT, now=now, invited=False)
        if refusal is not None:
            return refusal
        channel = channel if channel in codes.CHANNELS else flow.channel
        next_at = flow.last_sent_at + timedelta(seconds=codes.resend_cooldown_seconds())
        if now < next_at:
            refusal = Outcome(ok=False, error="cooldown", retry_at=next_at)
        else:
            refusal = limits.visible_caps(
                ip=ip, key=flow.identifier_key, channel=channel, known_browser=flow.known_browser
            )
        if refusal is not None:
            _audit_refusal(request=request, subject="", outcome=refusal, step="resend")
            return refusal
        flow.channel = channel
        flow.sends += 1
        flow.last_sent_at = now
        flow.code_expires_at = now + timedelta(seconds=codes.code_ttl_seconds())
        flow.save(update_fields=["channel", "sends", "last_sent_at", "code_expires_at"])
        audit_record(
            event="reset.resend_requested",
            request=request,
            user=audit_user_ref(flow),
            data={"flow": flow.pk, "channel": channel, "sends": flow.sends},
        )
        limits.count_send(ip=ip, key=flow.identifier_key, channel=channel)
        dispatch.dispatch_on_commit(flow.pk, flow.sends)
    return Outcome(ok=True, next_step="verify")


# --- 2. the code --------------------------------------------------------------------------------
def _verified(flow: ResetFlow, *, now: datetime, request, how: str) -> Outcome:
    if flow.purpose == ResetFlow.Purpose.UNLOCK:
        return unlock.unlock_complete(flow=flow, now=now, request=request)
    flow.state = (
        ResetFlow.State.SECOND_FACTOR if has_second_factor(flow.user) else ResetFlow.State.READY
    )
    flow.verified_at = now
    flow.save(update_fields=["state", "verified_at"])
    limits.clear_streaks(flow, step="code")
    audit_record(
        event="reset.code_verified",
        request=request,
        user=flow.user,
        subject=flow.user.get_username(),
        data={"flow": flow.pk, "how": how},
    )
    return Outcome(ok=True, next_step=step_for(flow))


def reset_verify(
    *, flow_key: str, code: str, ip: str, request: HttpRequest | None = None
) -> Outcome:
    """Check the code typed for a flow. ``code`` must already be 6 digits (see
    ``codes.code_normalize``); the view refuses anything else without counting a try."""
    now = timezone.now()
    with transaction.atomic():
        flow = flow_by_key(flow_key, lock=True) if flow_key else None
        refusal = _not_at(flow, ResetFlow.State.CODE_SENT, now=now)
        if refusal is None:
            refusal = limits.failure_caps(flow=flow, ip=ip)
        if refusal is not None:
            return refusal
        if flow.code_expires_at is None or now >= flow.code_expires_at:
            return Outcome(ok=False, error="code_expired")
        # The same queries and the same Python work whatever the identifier matched (tested by
        # the statements each path runs): the response time tells nothing.
        # No lock on the device: the flow row's lock already makes this flow's checks one at a
        # time, and a device the worker is writing must not make a real account's answer wait.
        device = ContactCodeDevice.objects.filter(flow=flow.pk).first()
        account_blocked = limits.active_block(limits.block_key_account(flow.user_id or 0), now=now)
        if flow.known_browser:
            account_blocked = None  # the owner's browser: a pause does not stop it
        usable = device is not None and bool(flow.user_active)  # disabled since the code went
        if not usable or account_blocked is not None or flow.started_by_id:
            # A device that holds no code (never saved): the same check, which never matches.
            device = ContactCodeDevice(flow=flow.pk, purpose=flow.purpose, channel=flow.channel)
        # Wrong codes are counted on the flow row (below), not on the device.
        ok = codes.device_check(device=device, code=code, count_failure=False)
        if ok:
            return _verified(flow, now=now, request=request, how="code")
        limits.record_failure(flow=flow, ip=ip, request=request, step="code")
        if flow.state == ResetFlow.State.FAILED:
            return Outcome(ok=False, error="failed")
        return Outcome(
            ok=False, error="wrong_code", tries_left=codes.code_max_tries() - flow.failures
        )


def reset_invite_accept(*, request: HttpRequest) -> Outcome:
    """The user opened an agent's reset link in this browser and pressed "Continue"."""
    now = timezone.now()
    with transaction.atomic():
        flow = flow_from_session(request, lock=True)
        refusal = _not_at(flow, ResetFlow.State.CODE_SENT, now=now, invited=True)
        if refusal is not None:
            return refusal
        if not user_is_active(flow):
            return Outcome(ok=False, error="expired")
        # An agent's link is a deliberate act after checking the caller: it works even while the
        # account's self-service reset is blocked.
        return _verified(flow, now=now, request=request, how="invite_link")


# --- 3. the second factor -----------------------------------------------------------------------
def reset_second_factor(*, request: HttpRequest, token: str) -> Outcome:
    ip = client_ip(request)
    now = timezone.now()
    with transaction.atomic():
        flow = flow_from_session(request, lock=True)
        refusal = _not_at(flow, ResetFlow.State.SECOND_FACTOR, now=now)
        if refusal is None:
            refusal = limits.failure_caps(flow=flow, ip=ip)
        if refusal is not None:
            return refusal
        matched, waiting = twostep.second_factor_match(user=flow.user, token=token)
        if matched is not None:
            flow.state = ResetFlow.State.READY
            flow.save(update_fields=["state"])
            limits.clear_streaks(flow, step="second_factor")
            audit_record(
                event="reset.second_factor_verified",
                request=request,
                user=flow.user,
                subject=flow.user.get_username(),
                data={"flow": flow.pk, "device": matched.persistent_id},
            )
            return Outcome(ok=True, next_step="new_password")
        if waiting:
            return Outcome(ok=False, error="second_wait")
        limits.record_failure(flow=flow, ip=ip, request=request, step="second_factor")
        if flow.state == ResetFlow.State.FAILED:
            return Outcome(ok=False, error="failed")
        return Outcome(
            ok=False, error="wrong_second", tries_left=codes.code_max_tries() - flow.failures
        )


# --- 4. the new password ------------------------------------------------------------------------
def reset_complete(*, request: HttpRequest, new_password: str) -> Outcome:
    """Set the password (``ValidationError`` with the reasons if refused; nothing changes then),
    end every session, lift the lock, notify every verified contact. Never signs in."""
    now = timezone.now()
    with transaction.atomic():
        flow = flow_from_session(request, lock=True)
        refusal = _not_at(flow, ResetFlow.State.READY, now=now)
        if refusal is not None:
            return refusal
        user = flow.user
        user_password_set(user=user, raw_password=new_password, reason="reset", request=request)
        flow.state = ResetFlow.State.DONE
        flow.completed_at = now
        flow.save(update_fields=["state", "completed_at"])
        # Any other reset still open for this account (someone else's?) dies with this one.
        ResetFlow.objects.filter(user=user, state__in=OPEN_STATES).exclude(pk=flow.pk).update(
            expires_at=now
        )
        lock_clear(username=user.get_username(), how="reset", request=request)
        ip = client_ip(request)
        messaging_notify_user(
            user=user,
            kind="account_password_changed",
            context={
                "changed_at": now,
                "ip": ip,
                "browser": browser_label(user_agent(request)),
                "how": "reset",
            },
        )
        audit_record(
            event="reset.completed",
            request=request,
            user=user,
            subject=user.get_username(),
            data={"flow": flow.pk, "invited_by": flow.started_by_id},
        )
    request.session.pop(SESSION_KEY, None)
    return Outcome(ok=True, next_step="login", return_to=flow.return_to)
