"""Celery tasks: thin, idempotent, ids only (never a body or a code in task arguments)."""

from celery import shared_task

from messaging import services


@shared_task(name="messaging.deliver", ignore_result=True, acks_late=True)
def messaging_deliver(outbox_id: int) -> str:
    return services.outbox_deliver(message_id=outbox_id)


@shared_task(name="messaging.sweep", ignore_result=True)
def messaging_sweep() -> dict:
    return services.outbox_sweep()
