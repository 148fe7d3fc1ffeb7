"""The pass's periodic sweep (scheduled in ``CELERY_BEAT_SCHEDULE``)."""

from __future__ import annotations

from celery import shared_task

from access_pass.services import passes_expire


@shared_task(name="access_pass.expire_sweep", acks_late=True)
def expire_sweep() -> int:
    """Issued passes whose time ran out and approvals never used become expired (audited)."""
    return passes_expire()
