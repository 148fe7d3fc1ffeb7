"""Celery tasks of the reset journey: thin (ids in, a flow step out), idempotent. Their names
are the ones queued messages and the beat schedule carry (``accounts.*``)."""

from celery import shared_task

from reset import dispatch as reset_dispatch


@shared_task(name="accounts.reset_code_dispatch", ignore_result=True, acks_late=True)
def reset_code_dispatch(flow_id: int, send_no: int) -> str:
    return reset_dispatch.reset_dispatch(flow_id=flow_id, send_no=send_no)


@shared_task(name="accounts.reset_dispatch_sweep", ignore_result=True)
def reset_dispatch_sweep() -> int:
    return reset_dispatch.reset_dispatch_sweep()
