"""Redis down at commit time: a sign-in that locks an account still answers (no 500), and the
owner's lock message is not lost: its task runs in-process and writes the outbox rows, which the
outbox sweep delivers once the broker is back."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from messaging.models import OutboxMessage
from tests.messaging.worker import dead_port, producer
from tests.signin.conftest import fail, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_lock_with_the_broker_down_answers_and_keeps_the_message(en, user):
    with producer(broker_url=f"redis://127.0.0.1:{dead_port()}/0", queue="signin-test"):
        responses = fail(en, user.username, 5)
    assert [r.status_code for r in responses][-1] == HTTPStatus.TOO_MANY_REQUESTS
    rows = OutboxMessage.objects.filter(kind="signin_locked")
    assert {row.channel for row in rows} == {"email", "sms"}
    assert all(row.status == OutboxMessage.Status.QUEUED for row in rows)  # for the sweep


def test_a_new_browser_sign_in_with_the_broker_down_answers_and_keeps_the_notice(en, user):
    with producer(broker_url=f"redis://127.0.0.1:{dead_port()}/0", queue="signin-test"):
        response = sign_in(en, user.username)
    assert response.status_code == HTTPStatus.FOUND
    assert OutboxMessage.objects.filter(kind="signin_new_browser").exists()
