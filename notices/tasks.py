"""Celery tasks of the notices app: thin, idempotent."""

from __future__ import annotations

from celery import shared_task

from notices.robots import notices_robots_sweep


@shared_task(name="notices.robots_sweep", ignore_result=True)
def notices_robots_sweep_task() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE["notices-robots"]): maintenance news to the robots."""
    return notices_robots_sweep()
