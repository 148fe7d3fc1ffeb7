"""Caps, streaks and blocks of the self-service reset.

Visible caps (a browser can meet them) are keyed on what was typed and on the client address;
an identifier that matches nothing meets them at the same counts. The account's own caps apply
silently in the dispatch task (see ``accounts.codes``). Twenty consecutive wrong codes, counted
per typed identifier and per account (wrong emailed or texted codes, and wrong second-factor
codes, each on a streak of their own), block self-service reset for 24 hours: a ``ResetBlock``
row (audited, listed for agents in the admin) and a notice to the account's verified contacts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone

from accounts import codes
from accounts import conf as accounts_conf
from accounts.models import CodeChannel, User
from audit.services import audit_record
from messaging.services import messaging_notify_user
from portal import limits
from reset import conf
from reset.models import ResetBlock, ResetFlow
from reset.outcome import Outcome

STEPS = ("code", "second_factor")


# --- keys and limits ------------------------------------------------------------------------------
def block_key_typed(key: str) -> str:
    return f"typed:{key}"


def block_key_account(user_id: int) -> str:
    return f"account:{user_id}"


# What a browser can meet, each the events of the last hour: codes sent for one client address,
# for what was typed, and by SMS for what was typed; wrong codes from one client address.
IP_SENDS = limits.Rolling("reset-ip-sends", seconds=3600)
TYPED_SENDS = limits.Rolling("reset-typed-sends", seconds=3600)
TYPED_SMS = limits.Rolling("reset-typed-sms", seconds=3600)
IP_FAILURES = limits.Rolling("reset-ip-failures", seconds=3600)


def _streak(step: str = "code") -> limits.Streak:
    """The consecutive-failure streak of one step: the emailed or texted code, or the second
    factor. Each ends only when its own step passes, so a right emailed code (which whoever holds
    the mailbox can always get) never wipes a run of wrong authenticator codes."""
    scope = "reset-streak" if step == "code" else "reset-streak-second"
    return limits.Streak(scope, ttl=_block_ttl())


def _block_ttl() -> int:
    return conf.get("RESET_BLOCK_HOURS") * 3600


def active_block(key: str, *, now: datetime | None = None) -> ResetBlock | None:
    now = now or timezone.now()
    return (
        ResetBlock.objects.filter(key=key, lifted_at__isnull=True, until__gt=now)
        .order_by("-until")
        .first()
    )


def visible_caps(*, ip: str, key: str, channel: str, known_browser: bool = False) -> Outcome | None:
    """The caps a browser can meet when asking for a code: all keyed on what was typed or on the
    client address, never on the account. A pause does not stop a ``known_browser`` (one that
    signed in with what was typed); every cap does."""
    ip_state = IP_SENDS.state(ip, limit=conf.get("RESET_IP_SENDS_PER_HOUR"))
    if ip_state.retry_at:
        return Outcome(ok=False, error="ip_limited", retry_at=ip_state.retry_at)
    block = active_block(block_key_typed(key))
    if block is not None and not known_browser:
        return Outcome(ok=False, error="blocked", retry_at=block.until)
    sends = TYPED_SENDS.state(key, limit=accounts_conf.get("CODE_SENDS_PER_HOUR"))
    if sends.retry_at:
        return Outcome(ok=False, error="send_limited", retry_at=sends.retry_at)
    if channel == CodeChannel.SMS:
        sms = TYPED_SMS.state(key, limit=accounts_conf.get("CODE_SMS_PER_HOUR"))
        if sms.retry_at:
            return Outcome(ok=False, error="sms_capped", retry_at=sms.retry_at)
    return None


def count_send(*, ip: str, key: str, channel: str) -> None:
    IP_SENDS.hit(ip)
    TYPED_SENDS.hit(key)
    if channel == CodeChannel.SMS:
        TYPED_SMS.hit(key)


def record_failure(*, flow: ResetFlow, ip: str, request: HttpRequest | None, step: str) -> None:
    """One wrong code: the flow's tries, the client's cap, and the consecutive-failure streaks of
    what was typed and of the account (20 in a row block self-service reset for 24 hours)."""
    now = timezone.now()
    flow.failures += 1
    if flow.failures >= codes.code_max_tries():
        flow.state = ResetFlow.State.FAILED
    flow.save(update_fields=["failures", "state"])
    IP_FAILURES.hit(ip)
    limit = conf.get("RESET_BLOCK_AFTER_FAILURES")
    # Two streaks whatever matched (the second one, without an account, only keeps the work and
    # its timing the same; it never blocks anything).
    # The account is loaded only to block it (``flow.user``); until then both paths do the same.
    keys = [(block_key_typed(flow.identifier_key), True)]
    if flow.user_id:
        keys.append((block_key_account(flow.user_id), True))
    else:
        keys.append((f"shadow:{flow.identifier_key}", False))
    for block_key, blocks in keys:
        streak = _streak(step).add(block_key)
        if blocks and streak >= limit and active_block(block_key, now=now) is None:
            owner = flow.user if flow.user_id else None
            block_create(key=block_key, user=owner, failures=streak, request=request)
    audit_record(
        event="reset.code_failed",
        request=request,
        user=User(pk=flow.user_id),  # the same work whatever matched; no user row when None
        ip=ip if request is None else None,
        data={
            "flow": flow.pk,
            "step": step,
            "tries_left": max(0, codes.code_max_tries() - flow.failures),
        },
    )


def block_create(*, key: str, user: User | None, failures: int, request) -> ResetBlock:
    """Pause self-service reset for ``key``. The account's owner hears of it once per pause (a
    block on what was typed and one on the account often start together)."""
    now = timezone.now()
    already_told = user is not None and (
        ResetBlock.objects.filter(user=user, lifted_at__isnull=True, until__gt=now).exists()
    )
    block = ResetBlock.objects.create(
        key=key,
        user=user,
        created_at=now,
        until=now + timedelta(seconds=_block_ttl()),
        failures=failures,
    )
    for step in STEPS:
        _streak(step).clear(key)
    audit_record(
        event="reset.blocked",
        request=request,
        user=user,
        subject=user.get_username() if user else "",
        data={"block": block.pk, "kind": key.split(":", 1)[0], "failures": failures},
    )
    if user is not None and not already_told:
        messaging_notify_user(
            user=user,
            kind="reset_blocked",
            context={"until": block.until, "failures": failures},
        )
    return block


def clear_streaks(flow: ResetFlow, *, step: str) -> None:
    """``step`` passed: its streaks (what was typed, the account) start again."""
    _streak(step).clear(block_key_typed(flow.identifier_key))
    if flow.user_id:
        _streak(step).clear(block_key_account(flow.user_id))


def failure_caps(*, flow: ResetFlow, ip: str) -> Outcome | None:
    failures = IP_FAILURES.state(ip, limit=conf.get("RESET_IP_FAILURES_PER_HOUR"))
    if failures.retry_at:
        return Outcome(ok=False, error="ip_limited", retry_at=failures.retry_at)
    block = active_block(block_key_typed(flow.identifier_key))
    if block is not None and not flow.known_browser:
        return Outcome(ok=False, error="blocked", retry_at=block.until)
    return None
