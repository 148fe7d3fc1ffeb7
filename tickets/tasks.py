"""Celery tasks: thin (ids in, one service call), idempotent, queued after commit."""

from __future__ import annotations

from celery import shared_task

from tickets.robots import robots_sla_sweep


@shared_task(name="tickets.notify_received", acks_late=True, ignore_result=True)
def ticket_notify_received_task(ticket_id: int) -> bool:
    # Imported here: tickets.services.intake imports this module (it queues this task).
    from tickets.services import ticket_notify_received

    return ticket_notify_received(ticket_id=ticket_id)


@shared_task(name="tickets.reconcile_locks", acks_late=True, ignore_result=True)
def tickets_reconcile_locks_task() -> int:
    """Every 5 minutes (CELERY_BEAT_SCHEDULE["tickets-reconcile-locks"]): the safety nets for a
    lost lock signal and for a "request received" notice the broker never took."""
    # Imported here: tickets.services.intake imports this module (it queues this task).
    from tickets.services import tickets_received_catch_up, tickets_reconcile_locks

    return tickets_reconcile_locks() + tickets_received_catch_up()


@shared_task(name="tickets.robots_sla_sweep", ignore_result=True)
def tickets_robots_sla_sweep_task() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE["tickets-robots-sla"]): requests past their SLA, to
    the helpdesk group's robot (once per deadline)."""
    return robots_sla_sweep()
