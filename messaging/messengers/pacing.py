"""Each provider's own rate limits, kept by the outbox before it calls the provider
(``portal.limits``, the portal's one counter, in the shared store so every worker counts
together). A send past a limit is not made: the row waits (``Throttled``) until the window
ends, without using one of its attempts.

| channel | limit | per |
| --- | --- | --- |
| WeCom application message | 30 a minute | member |
| DingTalk work notification | 30 a minute (ours; DingTalk counts per app and day) | user |
| Feishu app message | 5 a second | user |
| WeCom group robot | 20 a minute | robot |
| DingTalk custom robot | 20 a minute, then 10 minutes of nothing after "send too fast" | robot |
| Feishu custom bot | 100 a minute and 5 a second | robot |
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from messaging.messengers.errors import Throttled
from portal import limits

PACES: dict[str, tuple[tuple[int, int], ...]] = {
    # (events, seconds) per recipient
    "wecom": ((30, 60),),
    "dingtalk": ((30, 60),),
    "feishu": ((5, 1),),
    "robot:wecom": ((20, 60),),
    "robot:dingtalk": ((20, 60),),
    "robot:feishu": ((100, 60), (5, 1)),
}
DINGTALK_ROBOT_PAUSE_SECONDS = 600
PAUSE = limits.Block("messengers:pause")


def _counters(lane: str) -> list[limits.Fixed]:
    return [
        limits.Fixed(f"messengers:pace:{lane}:{seconds}", seconds=seconds, limit=events)
        for events, seconds in PACES[lane]
    ]


def pace_take(*, lane: str, recipient: str) -> None:
    """Count one send to ``recipient`` on ``lane``, or raise ``Throttled`` (nothing counted)
    while a limit is full or the recipient is paused. A store that does not answer raises
    ``LimitStoreDown``: the outbox retries later, nothing uncounted goes."""
    subject = f"{lane}:{recipient}"
    paused = PAUSE.get(subject)
    if paused:
        wait = max(float(paused) - timezone.now().timestamp(), 1.0)
        raise Throttled(f"{lane}: paused by the provider for {wait:.0f} s", retry_after=wait)
    counters = _counters(lane)
    taken = limits.take([(counter, subject) for counter in counters])
    if taken.over is not None:
        counter = counters[taken.over]
        wait = counter.ends_in(timezone.now().timestamp())
        raise Throttled(
            f"{lane}: {counter.limit} per {counter.seconds} s reached", retry_after=wait
        )


def pause(*, lane: str, recipient: str, seconds: int) -> float:
    """Send nothing to ``recipient`` on ``lane`` for ``seconds`` (a provider's throttle)."""
    until = timezone.now() + timedelta(seconds=seconds)
    PAUSE.set(f"{lane}:{recipient}", str(until.timestamp()), until=until)
    return float(seconds)
