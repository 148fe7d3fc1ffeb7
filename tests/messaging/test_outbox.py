"""The outbox life cycle: claim once, retries with backoff, the sweep, expiry and secret wiping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from audit.models import AuditEvent
from messaging.errors import OutboxStateError
from messaging.models import OutboxMessage
from messaging.outbox import retry_delay
from messaging.services import messaging_send, outbox_deliver, outbox_retry, outbox_sweep
from messaging.tasks import messaging_deliver

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def _queue(user, **kwargs) -> OutboxMessage:
    """A committed row whose delivery task was lost (as if the broker were down)."""
    kwargs.setdefault("channel", "email")
    return messaging_send(kind="messaging_test", context={}, to_user=user, **kwargs)


def test_a_task_delivered_twice_calls_the_provider_once(user):
    message = _queue(user)
    assert messaging_deliver(message.pk) == "sent"
    assert messaging_deliver(message.pk) == "skipped"  # Redis redelivery, a sweep race...
    assert len(mail.outbox) == 1


def test_a_row_claimed_by_another_worker_is_left_alone(user, clock):
    message = _queue(user)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=clock.now()
    )
    assert outbox_deliver(message_id=message.pk) == "skipped"
    assert mail.outbox == []


def test_a_retry_is_not_delivered_before_it_is_due(user, clock, settings):
    settings.EMAIL_BACKEND = "tests.messaging.backends.FlakyEmailBackend"
    settings.FLAKY_FAILURES = 1
    message = _queue(user)
    assert outbox_deliver(message_id=message.pk) == "retry"
    assert outbox_deliver(message_id=message.pk) == "skipped"  # the early copy of the task
    clock.advance(seconds=20)
    assert outbox_deliver(message_id=message.pk) == "sent"


def test_backoff_is_exponential_jittered_and_capped(settings):
    settings.MESSAGING_RETRY_BASE_SECONDS = 5
    settings.MESSAGING_RETRY_CAP_SECONDS = 300
    for attempt, ceiling in [(1, 5), (2, 10), (3, 20), (4, 40), (7, 300), (20, 300)]:
        delays = {retry_delay(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jitter


def test_transient_errors_end_failed_after_the_maximum_audited(user, clock, settings):
    settings.EMAIL_BACKEND = "tests.messaging.backends.FlakyEmailBackend"
    settings.FLAKY_FAILURES = 100
    settings.MESSAGING_MAX_ATTEMPTS = 4
    message = _queue(user)
    results = []
    for _ in range(6):
        results.append(outbox_deliver(message_id=message.pk))
        clock.advance(minutes=10)
    assert results == ["retry", "retry", "retry", "failed", "skipped", "skipped"]
    message.refresh_from_db()
    assert message.status == Status.FAILED
    assert message.attempts == 4
    assert message.last_error.startswith("gave up after 4 attempts: SMTP")
    event = AuditEvent.objects.get(event="messaging.failed")
    assert event.data["attempts"] == 4


def test_three_failures_then_success_is_sent_after_three_retries(user, clock, settings):
    settings.EMAIL_BACKEND = "tests.messaging.backends.FlakyEmailBackend"
    settings.FLAKY_FAILURES = 3
    message = _queue(user)
    results = []
    for _ in range(4):
        results.append(outbox_deliver(message_id=message.pk))
        clock.advance(minutes=1)
    assert results == ["retry", "retry", "retry", "sent"]
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 4)
    assert len(mail.outbox) == 1


def test_sweep_requeues_rows_the_broker_never_delivered(user, clock, deliver_on_commit):
    message = _queue(user)  # committed, but its task never ran
    with deliver_on_commit():
        assert outbox_sweep()["requeued"] == 0  # not yet a minute old
    clock.advance(seconds=61)
    with deliver_on_commit():
        assert outbox_sweep()["requeued"] == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(mail.outbox) == 1
    clock.advance(minutes=5)
    assert outbox_sweep()["requeued"] == 0


def test_sweep_expires_what_is_too_late_and_a_late_task_never_sends_it(user, clock):
    message = _queue(
        user, channel="sms", secret=True, expires_at=clock.now() + timedelta(minutes=10)
    )
    clock.advance(minutes=11)
    assert outbox_deliver(message_id=message.pk) == "expired"  # the task came late
    message.refresh_from_db()
    assert message.status == Status.EXPIRED
    assert message.body_text == ""
    assert message.wiped_at is not None

    other = _queue(user, channel="sms", secret=True, expires_at=clock.now() + timedelta(minutes=10))
    clock.advance(minutes=11)
    result = outbox_sweep()
    assert result["expired"] == 1
    other.refresh_from_db()
    assert other.status == Status.EXPIRED
    assert (other.body_text, other.params, other.wiped_at is not None) == ("", {}, True)
    assert outbox_deliver(message_id=other.pk) == "skipped"
    from messaging import sms

    assert sms.outbox == []


def test_secret_content_is_wiped_once_sent_metadata_stays(user, deliver_on_commit, sms_outbox):
    with deliver_on_commit():
        message = messaging_send(
            channel="sms",
            kind="messaging_test",
            context={"note": "123456"},
            to_user=user,
            secret=True,
        )
    assert "123456" in sms_outbox[0].body
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert (message.subject, message.body_text, message.body_html, message.params) == (
        "",
        "",
        "",
        {},
    )
    assert message.wiped_at is not None
    assert (message.kind, message.recipient, message.user) == ("messaging_test", user.phone, user)


def test_in_debug_secret_content_stays_until_expiry_for_the_demo_inbox(
    user, settings, clock, deliver_on_commit
):
    settings.DEBUG = True
    with deliver_on_commit():
        message = messaging_send(
            channel="sms",
            kind="messaging_test",
            context={"note": "654321"},
            to_user=user,
            secret=True,
            expires_at=clock.now() + timedelta(minutes=10),
        )
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert "654321" in message.body_text
    clock.advance(minutes=10)
    assert outbox_sweep()["wiped"] == 1
    message.refresh_from_db()
    assert message.body_text == ""


def test_non_secret_content_is_kept(user, deliver_on_commit):
    with deliver_on_commit():
        message = _queue(user)
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert "这是一条测试消息" in message.body_text
    assert message.wiped_at is None


def test_a_row_whose_worker_died_is_recovered_by_the_sweep(user, clock, deliver_on_commit):
    message = _queue(user)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, attempts=1, claimed_at=clock.now()
    )
    clock.advance(minutes=1)
    assert outbox_sweep()["recovered"] == 0  # it may still be working
    clock.advance(minutes=3)
    with deliver_on_commit():
        assert outbox_sweep()["recovered"] == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


def test_retry_now_queues_a_failed_message_again(user, staff, settings, deliver_on_commit):
    settings.EMAIL_BACKEND = "tests.messaging.backends.RefusingEmailBackend"
    message = _queue(user)
    assert outbox_deliver(message_id=message.pk) == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with deliver_on_commit():
        outbox_retry(message=message, actor=staff)
    message.refresh_from_db()
    assert message.status == Status.SENT
    event = AuditEvent.objects.get(event="messaging.retry_requested")
    assert event.actor == staff
    with pytest.raises(OutboxStateError):
        outbox_retry(message=message, actor=staff)  # already sent


def test_retry_now_refuses_expired_or_wiped_messages(user, staff, settings, clock):
    settings.EMAIL_BACKEND = "tests.messaging.backends.RefusingEmailBackend"
    message = _queue(user, secret=True, expires_at=clock.now() + timedelta(minutes=10))
    assert outbox_deliver(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.body_text  # kept for a retry while it is still valid
    clock.advance(minutes=11)
    with pytest.raises(OutboxStateError):
        outbox_retry(message=message, actor=staff)
    outbox_sweep()
    message.refresh_from_db()
    assert message.body_text == ""
    assert message.status == Status.FAILED
