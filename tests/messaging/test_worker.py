"""Integration: PostgreSQL + Redis + a real Celery worker process (started once for this module
on the machine's Redis, its own queue, this run's test database), delivering SMS to a local fake
gateway through the webhook backend."""

from __future__ import annotations

import os
import time
from http import HTTPStatus

import pytest
from django.db import connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from messaging.models import OutboxMessage
from messaging.services import messaging_send, outbox_sweep
from messaging.tasks import messaging_deliver
from tests.factories import SuperuserFactory, UserFactory
from tests.messaging.conftest import WEBHOOK_SECRET
from tests.messaging.fakes import WebhookGateway
from tests.messaging.worker import Worker, dead_port, producer, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
Status = OutboxMessage.Status


@pytest.fixture(scope="module")
def gateway():
    server = WebhookGateway(WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def worker(django_db_setup, django_db_blocker, gateway):
    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
    process = Worker(
        db_name=db_name,
        broker_url=os.environ["REDIS_URL"],
        webhook_url=gateway.url + "/sms",
        webhook_secret=WEBHOOK_SECRET,
    )
    try:
        process.wait_ready()
        yield process
    finally:
        process.stop()


@pytest.fixture
def live(worker, gateway, settings):
    """This process queues to the worker's queue on the real Redis; the gateway starts empty."""
    settings.SMS_BACKEND = "webhook"
    gateway.requests.clear()
    gateway.script.clear()
    with producer(broker_url=worker.broker_url, queue=worker.queue) as point_at:
        yield point_at


def _sms(user, **kwargs) -> OutboxMessage:
    kwargs.setdefault("context", {})
    with transaction.atomic():
        return messaging_send(channel="sms", kind="messaging_test", to_user=user, **kwargs)


def _status(message: OutboxMessage, *statuses: str) -> bool:
    message.refresh_from_db()
    return message.status in statuses


def _calls_for(gateway, message: OutboxMessage) -> int:
    return sum(1 for seen in gateway.requests if seen.json()["id"] == str(message.reference))


def _drain(worker, user) -> None:
    """The queue is FIFO and the worker runs one task at a time: once a marker message sent
    after everything else is delivered, every earlier task has been handled."""
    marker = _sms(user, to_address="+8613700000000")
    wait_for(lambda: _status(marker, Status.SENT), what=f"the marker\n{worker.log_tail()}")


def test_committed_message_is_delivered_once(live, worker, gateway):
    from celery.signals import before_task_publish

    published = []

    def capture(body=None, **kwargs):
        published.append(body)

    before_task_publish.connect(capture)
    user = UserFactory()
    try:
        message = _sms(user, context={"note": "CODE-913577"}, secret=True)
    finally:
        before_task_publish.disconnect(capture)
    # The task carries the row's id and nothing else: never the body or a code.
    args, kwargs, _embed = published[0]
    assert (list(args), kwargs) == ([message.pk], {})
    assert "913577" not in repr(published)
    wait_for(lambda: _status(message, Status.SENT), what=f"delivery\n{worker.log_tail()}")
    # Duplicates (a Redis redelivery, a sweep racing the first task) change nothing.
    messaging_deliver.delay(message.pk)
    messaging_deliver.delay(message.pk)
    _drain(worker, user)
    assert _calls_for(gateway, message) == 1
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.provider_message_id.startswith("gw-")
    assert "CODE-913577" in gateway.requests[0].json()["body"]
    assert message.body_text == ""  # wiped once sent
    assert "913577" not in worker.log.read_text()


def test_rolled_back_message_is_never_sent(live, worker, gateway):
    user = UserFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        messaging_send(channel="sms", kind="messaging_test", context={}, to_user=user)
        raise RuntimeError("the caller's change failed")
    assert not OutboxMessage.objects.exists()
    _drain(worker, user)
    assert len(gateway.requests) == 1  # the marker only
    assert gateway.requests[0].json()["to"] == "+8613700000000"


def test_broker_down_at_commit_then_the_sweep_delivers_exactly_once(
    live, worker, gateway, settings, client
):
    user = UserFactory()
    live(f"redis://127.0.0.1:{dead_port()}/0")  # the broker is unreachable
    started = time.perf_counter()
    message = _sms(user)
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"committing took {elapsed:.2f} s with the broker down"
    assert _status(message, Status.QUEUED)
    # A real request that sends a message succeeds just as quickly.
    started = time.perf_counter()
    response = client.post(reverse("reset:start"), {"identifier": user.username, "channel": "sms"})
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    assert time.perf_counter() - started < 2.0
    live(worker.broker_url)  # the broker is back, but the task was never queued:
    _drain(worker, user)
    assert _status(message, Status.QUEUED)
    assert _calls_for(gateway, message) == 0

    settings.MESSAGING_REQUEUE_AFTER_SECONDS = 0  # (instead of waiting a minute)
    outbox_sweep()
    outbox_sweep()  # two sweeps queue it twice: still one delivery
    wait_for(lambda: _status(message, Status.SENT), what=f"sweep delivery\n{worker.log_tail()}")
    _drain(worker, user)
    assert _calls_for(gateway, message) == 1


def test_three_provider_failures_then_success_ends_sent_after_three_retries(live, worker, gateway):
    user = UserFactory()
    gateway.script.extend([gateway.server_error()] * 3)
    message = _sms(user)
    wait_for(lambda: _status(message, Status.SENT), what=f"retries\n{worker.log_tail()}")
    assert message.attempts == 4  # the first try and three retries
    assert _calls_for(gateway, message) == 4
    assert "HTTP 503" in message.last_error  # kept: the admin shows why it took four tries


def test_permanent_failure_ends_failed_audited_and_visible_in_the_admin(
    live, worker, gateway, client
):
    user = UserFactory()
    gateway.script.append(gateway.bad_number())
    message = _sms(user)
    wait_for(lambda: _status(message, Status.FAILED), what=f"failure\n{worker.log_tail()}")
    assert message.attempts == 1
    assert "invalid_number" in message.last_error
    assert AuditEvent.objects.filter(event="messaging.failed", user=user).exists()
    from tests.messaging.test_admin import _otp

    admin = SuperuserFactory()
    client.force_login(admin)
    _otp(client, admin)
    response = client.get(
        reverse("admin:messaging_outboxmessage_changelist"), {"status__exact": "failed"}
    )
    assert response.status_code == HTTPStatus.OK
    assert [row.pk for row in response.context["cl"].result_list] == [message.pk]
