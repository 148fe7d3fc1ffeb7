"""Celery tasks of the directory app: thin, call a service; safe to run twice."""

from __future__ import annotations

from celery import shared_task

from directory.sync import users_sync


@shared_task(name="directory.sync", acks_late=True, soft_time_limit=3300, time_limit=3600)
def sync(full: bool = False) -> dict:
    """Every ``DIRECTORY_SYNC_MINUTES``: the people changed since the last run."""
    result = users_sync(full=full)
    return {"read": result.read, "updated": result.updated, "switched_off": result.switched_off}
