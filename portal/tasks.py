"""Queueing Celery tasks after commit without ever failing the request that queued them.

A broker that is down at commit time costs one fast failure (``retry=False``), logged. What then
happens to the work depends on the task: most have a sweep that catches up (the outbox, reset
dispatch, ticket notices); a task whose work would otherwise be lost asks to run in-process
instead (``inline_if_broker_down``) — its body only writes outbox rows, which are durable.
"""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction

logger = logging.getLogger(__name__)


def task_enqueue(task, *args, countdown: float | None = None, inline: bool = False) -> bool:
    """Hand ``task(*args)`` to the broker now. Returns whether the broker took it."""
    try:
        task.apply_async(args, countdown=countdown, retry=False)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, ...
        logger.warning(
            "task %s not queued (broker: %s)%s",
            task.name,
            exc.__class__.__name__,
            "; running it in-process" if inline else "; its sweep will catch up",
        )
        if inline:
            try:
                task.apply(args)
            except Exception:
                logger.exception("task %s failed in-process", task.name)
        return False
    return True


def task_enqueue_on_commit(
    task, *args, countdown: float | None = None, inline_if_broker_down: bool = False
) -> None:
    """Queue ``task(*args)`` once the current transaction commits (never inside it)."""
    transaction.on_commit(
        partial(task_enqueue, task, *args, countdown=countdown, inline=inline_if_broker_down)
    )
