"""Ten browsers racing with the same code: exactly one wins (row locks on PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import codes
from accounts.flows import reset
from accounts.models import ResetFlow
from tests.accounts.conftest import START, last_code

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
