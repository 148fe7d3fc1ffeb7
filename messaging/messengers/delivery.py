"""Handing one messenger row to its provider, once, after its pace allows it.

A robot row is refused here as well as when it is written if it could hold a code (a secret
row, or a kind of the ``code`` class): whatever a caller or a configuration does, a code never
reaches a group chat.
"""

from __future__ import annotations

from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.kinds import Priority, kind_priority
from messaging.messengers import dingtalk, feishu, pacing, wecom
from messaging.messengers.errors import Throttled
from messaging.messengers.robots import robot_credentials
from messaging.models import OutboxMessage, Robot
from portal import limits

PROVIDERS = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu}


def code_may_not_go(message: OutboxMessage) -> bool:
    return message.secret or kind_priority(message.kind) == Priority.CODE


def _paced(lane: str, recipient: str) -> None:
    try:
        pacing.pace_take(lane=lane, recipient=recipient)
    except limits.LimitStoreDown as exc:
        limits.store_down_logged(exc, outcome="the message waits")
        raise TransientDeliveryError("the pacing store did not answer") from exc


def person_deliver(message: OutboxMessage) -> str:
    _paced(message.channel, message.recipient)
    return PROVIDERS[message.channel].app_send(
        to=message.recipient, text=message.body_text, reference=str(message.reference)
    )


def robot_deliver(message: OutboxMessage) -> str:
    if code_may_not_go(message):
        raise PermanentDeliveryError("a code or secret never goes to a group robot")
    robot = Robot.objects.filter(
        pk=int(message.recipient) if message.recipient.isdigit() else 0
    ).first()
    if robot is None or not robot.enabled:
        raise PermanentDeliveryError("the robot was removed or turned off")
    url, secret = robot_credentials(robot)
    if not url:
        raise PermanentDeliveryError("the robot has no webhook URL")
    lane = f"robot:{robot.kind}"
    _paced(lane, str(robot.pk))
    try:
        return PROVIDERS[robot.kind].robot_send(
            url=url, secret=secret, text=message.body_text, reference=str(message.reference)
        )
    except Throttled as exc:
        if robot.kind == Robot.Kind.DINGTALK and exc.retry_after:
            pacing.pause(lane=lane, recipient=str(robot.pk), seconds=int(exc.retry_after))
        raise
