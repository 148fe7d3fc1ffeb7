"""Ten browsers racing with the same code: exactly one wins (row locks on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import codes
from reset import flow as reset
from reset.models import ResetFlow
from tests.reset.conftest import START, last_code

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

RACERS = 10


def _race(target) -> list:
    barrier = threading.Barrier(RACERS)
    results: list = []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=10)
            outcome = target()
            with lock:
                results.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == RACERS
    return results


def test_ten_concurrent_verifications_of_one_reset_code_give_one_success(user, client):
    client.post(START, {"identifier": "zhang.wei", "channel": "email"})
    key = client.session[reset.SESSION_KEY]
    code = last_code()

    outcomes = _race(lambda: reset.reset_verify(flow_key=key, code=code, ip="10.0.0.1"))

    assert sum(o.ok for o in outcomes) == 1
    assert {o.error for o in outcomes if not o.ok} <= {"already_verified"}
    assert ResetFlow.objects.get().state == ResetFlow.State.READY


def test_ten_concurrent_checks_of_one_code_give_one_success(user):
    issue = codes.code_issue(user=user, channel="email", purpose="caller_verify")
    assert issue.sent
    code = last_code()

    results = _race(lambda: codes.code_verify(user=user, purpose="caller_verify", code=code))

    assert results.count(True) == 1


def test_ten_concurrent_dispatches_of_one_code_queue_it_once(user, client):
    from accounts.models import ContactCodeDevice
    from messaging.models import OutboxMessage
    from reset.dispatch import reset_dispatch

    client.post(START, {"identifier": "zhang.wei", "channel": "email"})
    flow = ResetFlow.objects.get()
    # As if the start's own task had never run (its eager run here already sent the code).
    ResetFlow.objects.filter(pk=flow.pk).update(dispatched=0, user=None, typed="zhang.wei")
    OutboxMessage.objects.all().delete()
    ContactCodeDevice.objects.all().delete()

    outcomes = _race(lambda: reset_dispatch(flow_id=flow.pk, send_no=1))

    assert outcomes.count("sent") == 1
    assert set(outcomes) <= {"sent", "duplicate"}
    assert OutboxMessage.objects.filter(kind="reset_code").count() == 1
    flow.refresh_from_db()
    assert flow.dispatched == 1 and flow.user == user and flow.typed == ""
