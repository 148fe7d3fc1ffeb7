"""The worker side of the reset: look the account up and send the code, after commit.

``reset_start`` and ``reset_resend`` only write the flow and queue ``reset_code_dispatch``; the
task finds the account from what was typed (the first time), applies the account's own caps
(``accounts.codes``: silent, audited) and queues the code through the outbox. When no SMS can go,
the owner's verified email gets the code instead. An unlock's code goes only to an account that
is locked (the portal's lock or the directory's). Idempotent: a redelivered task, or one
superseded by a resend, sends nothing. ``reset_dispatch_sweep`` (beat, every 30 s) queues again
the codes whose task never reached the broker.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import codes
from accounts.models import CodeChannel
from accounts.selectors import user_find_by_identifier
from audit.services import audit_record
from portal.tasks import task_enqueue_on_commit
from reset import limits
from reset.models import ResetFlow
from reset.unlock import account_locked


def dispatch_on_commit(flow_id: int, send_no: int) -> None:
    """Queue the code's dispatch after commit. With the broker down the request still answers;
    the sweep (``accounts.reset_dispatch_sweep``) sends it shortly."""
    # Imported here: reset.tasks imports this module (the task runs reset_dispatch).
    from reset.tasks import reset_code_dispatch

    task_enqueue_on_commit(reset_code_dispatch, flow_id, send_no)


class _Lost(Exception):
    """Another dispatch of this flow, or a resend, committed first: this one's writes go."""


def reset_dispatch(*, flow_id: int, send_no: int) -> str:
    """Send code number ``send_no`` of a flow (idempotent: a redelivered task sends nothing).

    The flow row is not locked while the account is looked up and the code queued: the browser's
    steps lock it (``FOR NO KEY UPDATE``), and a wrong code waiting on the worker only when an
    account was found would time the lookup. The dispatch is claimed by one conditional
    ``UPDATE`` at the very end of its transaction, the same statement whatever matched, so the
    row is held only between that statement and the commit. The code's device points at the flow
    (a ``FOR KEY SHARE`` lock, which the browser's lock does not wait for).
    """
    flow = ResetFlow.objects.select_related("user").filter(pk=flow_id).first()
    if flow is None or flow.state != ResetFlow.State.CODE_SENT or flow.is_expired():
        return "stale"
    if send_no != flow.sends:
        return "superseded"
    if flow.dispatched >= send_no:
        return "duplicate"
    try:
        with transaction.atomic():
            if flow.dispatched == 0 and not flow.started_by_id:
                # The account is looked up here, in the worker, never in the request: the
                # browser's answer cannot depend on it, not even by a fraction of a millisecond.
                flow.user = user_find_by_identifier(identifier=flow.typed)
            outcome = _send(flow) if flow.user is not None else "no_account"
            claimed = ResetFlow.objects.filter(
                pk=flow.pk,
                state=ResetFlow.State.CODE_SENT,
                sends=send_no,
                dispatched__lt=send_no,
            ).update(dispatched=send_no, user=flow.user, typed="")
            if not claimed:
                raise _Lost
    except (_Lost, IntegrityError):
        current = ResetFlow.objects.filter(pk=flow_id).values_list("sends", flat=True).first()
        return "superseded" if current != send_no else "duplicate"
    return outcome


def _send(flow: ResetFlow) -> str:
    """The account's own checks and the code itself (inside the dispatch's transaction)."""
    user = flow.user
    blocked = limits.active_block(limits.block_key_account(user.pk)) is not None
    if blocked and not flow.known_browser:
        audit_record(
            event="reset.code_withheld",
            user=user,
            subject=user.get_username(),
            ip=flow.ip,
            data={"flow": flow.pk, "reason": "blocked"},
        )
        return "blocked"
    if flow.purpose == ResetFlow.Purpose.UNLOCK and not account_locked(user):
        # Nothing to unlock: no code (the browser's page is the same as for a locked account).
        audit_record(
            event="reset.code_withheld",
            user=user,
            subject=user.get_username(),
            ip=flow.ip,
            data={"flow": flow.pk, "reason": "not_locked"},
        )
        return "not_locked"
    issue = codes.code_issue(
        user=user,
        channel=flow.channel,
        purpose=flow.purpose,
        flow_id=flow.pk,
        context={"ip": flow.ip or ""},
    )
    if not issue.sent and flow.channel != CodeChannel.EMAIL and issue.reason != "cooldown":
        # No text or messenger message possible (no verified phone or messenger id, region,
        # caps): the owner's verified email gets the code instead. Nothing of this shows in
        # the browser.
        fallback = codes.code_issue(
            user=user,
            channel=CodeChannel.EMAIL,
            purpose=flow.purpose,
            flow_id=flow.pk,
            context={"ip": flow.ip or "", "sms_fallback": True},
        )
        if fallback.sent:
            return "sent_by_email"
    return "sent" if issue.sent else f"withheld:{issue.reason}"


def reset_dispatch_sweep() -> int:
    """Queue again the codes whose task never reached the broker (a minute late, still fresh)."""
    now = timezone.now()
    stale = ResetFlow.objects.filter(
        state=ResetFlow.State.CODE_SENT,
        dispatched__lt=F("sends"),
        started_by__isnull=True,
        expires_at__gt=now,
        last_sent_at__lt=now - timedelta(seconds=30),
        last_sent_at__gt=now - timedelta(seconds=codes.code_ttl_seconds() // 2),
    ).values_list("pk", "sends")
    # Imported here: reset.tasks imports this module (the task runs reset_dispatch).
    from reset.tasks import reset_code_dispatch

    count = 0
    for flow_id, sends in stale:
        reset_code_dispatch.delay(flow_id, sends)
        count += 1
    return count
