"""Group robots: their credentials, what they receive, and the writes that queue to them.

``robots_notify`` is what other apps call (through their own signal receivers) for an event:
one outbox row per enabled robot subscribed to its kind, rendered from the kind's
``robot.txt`` in the robot's language, within the robot's provider's text limit. A code can
never be queued to a robot (``CodeToGroupRefused``), and the delivery refuses it again.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from messaging import conf
from messaging.errors import MessagingError
from messaging.kinds import Priority, kind_priority
from messaging.messengers import vault
from messaging.models import OutboxMessage, Robot
from messaging.rendering import MESSENGER_TEXT_BYTES, render_message

logger = logging.getLogger(__name__)

# What a robot may receive: the robot kinds, by the group they are for.
ROBOT_EVENTS: dict[str, Any] = {
    "robot_unlock_request": _("New unlock request (helpdesk)"),
    "robot_sla_breach": _("Unlock request past its SLA (helpdesk)"),
    "robot_notice_published": _("Maintenance notice published (all staff)"),
    "robot_notice_started": _("Maintenance started (all staff)"),
    "robot_notice_changed": _("Maintenance recovery time changed (all staff)"),
    "robot_notice_ended": _("Maintenance ended (all staff)"),
    "robot_lock_storm": _("Lock storm from one network (security)"),
}
ROBOT_TEST_KIND = "robot_test"
ROBOT_TTL_SECONDS = 6 * 3600


class CodeToGroupRefused(MessagingError):
    code = "code_to_group"
    default_message = _("A code is never sent to a group.")


def robot_credentials(robot: Robot) -> tuple[str, str]:
    """(webhook URL, signing secret) of ``robot``, from the environment when it names it."""
    if robot.environment_name:
        found = conf.get("MESSENGER_ROBOT_SECRETS").get(robot.environment_name.upper(), {})
        return found.get("url", ""), found.get("secret", "")
    return vault.unseal(robot.webhook_encrypted), vault.unseal(robot.secret_encrypted)


@transaction.atomic
def robot_save(
    *,
    robot: Robot,
    webhook: str | None = None,
    secret: str | None = None,
    actor: Any = None,
    request=None,
) -> Robot:
    """Save ``robot``; a given ``webhook`` or ``secret`` is stored encrypted (``None`` keeps the
    stored one, "" removes it). Audited without the values."""
    if webhook is not None:
        robot.webhook_encrypted = vault.seal(webhook.strip())
    if secret is not None:
        robot.secret_encrypted = vault.seal(secret.strip())
    robot.events = [event for event in robot.events if event in ROBOT_EVENTS]
    robot.full_clean()
    robot.save()
    audit_record(
        event="messaging.robot_saved",
        request=request,
        actor=actor,
        subject=robot.name,
        data={
            "kind": robot.kind,
            "events": robot.events,
            "enabled": robot.enabled,
            "webhook_changed": webhook is not None,
            "secret_changed": secret is not None,
        },
    )
    return robot


def _queue(*, robot: Robot, kind: str, context: dict, now, key: str | None) -> OutboxMessage:
    # Imported here: messaging.outbox imports the delivery, which imports this module.
    from messaging.outbox import enqueue_on_commit

    limit = MESSENGER_TEXT_BYTES[robot.kind]
    rendered = render_message(
        channel="robot", kind=kind, context=context, language=robot.language, limit_bytes=limit
    )
    message = OutboxMessage.objects.create(
        channel=OutboxMessage.Channel.ROBOT,
        kind=kind,
        recipient=str(robot.pk),
        language=robot.language,
        body_text=rendered.text,
        idempotency_key=key,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
        expires_at=now + timedelta(seconds=ROBOT_TTL_SECONDS),
    )
    enqueue_on_commit(message.pk)
    return message


def _refuse_codes(kind: str, context: dict, secret: bool) -> None:
    if secret or kind_priority(kind) == Priority.CODE or "code" in (context or {}):
        raise CodeToGroupRefused()


@transaction.atomic
def robots_notify(*, kind: str, context: dict, key: str | None = None) -> list[OutboxMessage]:
    """Queue ``kind`` to every enabled robot that receives it (none: nothing). ``key`` makes
    it once only per robot (an event seen twice queues nothing more). Refuses a code."""
    _refuse_codes(kind, context, secret=False)
    now = timezone.now()
    queued = []
    for robot in Robot.objects.filter(enabled=True).order_by("pk"):
        if kind not in (robot.events or []):
            continue
        robot_key = f"robot:{robot.pk}:{key}"[:128] if key else None
        if robot_key and OutboxMessage.objects.filter(idempotency_key=robot_key).exists():
            continue
        queued.append(_queue(robot=robot, kind=kind, context=context, now=now, key=robot_key))
    return queued


def robot_message_send(
    *, robot: Robot, kind: str, context: dict, secret: bool = False
) -> OutboxMessage:
    """Queue ``kind`` to this one robot (whatever it receives). Refuses a code or a secret."""
    _refuse_codes(kind, context, secret=secret)
    with transaction.atomic():
        return _queue(robot=robot, kind=kind, context=context, now=timezone.now(), key=None)


@transaction.atomic
def robot_test_send(*, robot: Robot, actor: Any, request=None) -> OutboxMessage:
    """The admin's "send a test message"."""
    message = robot_message_send(
        robot=robot, kind=ROBOT_TEST_KIND, context={"robot_name": robot.name}
    )
    audit_record(
        event="messaging.robot_tested",
        request=request,
        actor=actor,
        subject=robot.name,
        data={"kind": robot.kind, "reference": str(message.reference)},
    )
    return message
