"""One person on WeCom, DingTalk or Feishu: each provider's local fake, through the outbox."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from audit.models import AuditEvent
from messaging.errors import MessengerBlocked
from messaging.models import OutboxMessage
from messaging.services import messaging_send, outbox_deliver

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status
TOKEN_ERRORS = {"wecom": 42001, "dingtalk": 42001, "feishu": 99991663}
UNKNOWN_USER = {"wecom": 81013, "dingtalk": 33012, "feishu": 230013}
RATE_LIMITED = {
    "wecom": (200, {}, {"errcode": 45009, "errmsg": "api freq out of limit"}),
    "dingtalk": (200, {}, {"errcode": 90018, "errmsg": "请求被暂时禁用"}),
    "feishu": (
        429,
        {"x-ogw-ratelimit-reset": "3"},
        {"code": 99991400, "msg": "request trigger frequency limit"},
    ),
}


NOTES = itertools.count(1)


def _queue(channel: str, to: str = "zhang.wei", **kwargs) -> OutboxMessage:
    """A distinct message each time (WeCom folds an identical text within its check interval)."""
    kwargs.setdefault("kind", "messaging_test")
    context = {"note": f"#{next(NOTES)}"}
    return messaging_send(channel=channel, context=context, to_address=to, **kwargs)


def _row(message: OutboxMessage) -> OutboxMessage:
    return OutboxMessage.objects.get(pk=message.pk)


def test_a_message_reaches_the_person_once(messenger, clock):
    channel, api = messenger
    message = _queue(channel)
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert outbox_deliver(message_id=message.pk) == "skipped"
    texts = api.texts_to("zhang.wei")
    assert len(texts) == 1 and "测试消息" in texts[0]
    row = _row(message)
    assert row.status == Status.SENT and row.provider_message_id
    assert row.masked_recipient == "zh***i"


def test_the_token_is_fetched_once_and_shared(messenger, clock):
    channel, api = messenger
    for _ in range(3):
        assert outbox_deliver(message_id=_queue(channel).pk) == "sent"
        clock.advance(seconds=2)
    assert api.tokens_issued == 1
    assert len(api.texts_to("zhang.wei")) == 3


def test_an_expired_token_is_refreshed_at_once_in_the_same_attempt(messenger, clock):
    channel, api = messenger
    assert outbox_deliver(message_id=_queue(channel).pk) == "sent"
    api.expire_tokens()  # the provider ends it early (another process fetched a new one...)
    clock.advance(seconds=2)
    message = _queue(channel)
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert TOKEN_ERRORS[channel] in api.codes()
    assert api.tokens_issued == 2
    assert _row(message).attempts == 1


def test_the_token_is_renewed_before_it_expires(messenger, clock):
    channel, api = messenger
    assert outbox_deliver(message_id=_queue(channel).pk) == "sent"
    clock.advance(seconds=7200 - 200)  # inside the 300 s margin
    assert outbox_deliver(message_id=_queue(channel).pk) == "sent"
    assert api.tokens_issued == 2
    assert TOKEN_ERRORS[channel] not in api.codes()  # never refused


def test_an_unknown_user_fails_the_message_at_once(messenger, clock):
    channel, api = messenger
    message = _queue(channel, to="nobody.here")
    assert outbox_deliver(message_id=message.pk) == "failed"
    assert UNKNOWN_USER[channel] in api.codes()
    row = _row(message)
    assert row.status == Status.FAILED and "unknown" in row.last_error
    assert "nobody" not in row.last_error
    assert AuditEvent.objects.filter(event="messaging.failed").exists()


def test_a_rate_limit_answer_backs_off_without_using_an_attempt(messenger, clock):
    channel, api = messenger
    api.script.append(RATE_LIMITED[channel])
    message = _queue(channel)
    assert outbox_deliver(message_id=message.pk) == "retry"
    row = _row(message)
    assert row.status == Status.QUEUED and row.attempts == 0
    assert row.next_attempt_at >= clock.now() + timedelta(seconds=1)
    assert outbox_deliver(message_id=message.pk) == "skipped"  # not before it is due
    clock.advance(seconds=61)
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert len(api.texts_to("zhang.wei")) == 1


def test_wecom_30_a_minute_to_one_member_are_paced_not_lost(wecom_api, clock, settings):
    settings.MESSENGER_CAP_PER_ID_HOUR = settings.MESSENGER_CAP_PER_ID_DAY = 100
    messages = [_queue("wecom", kind="messaging_test", priority="code") for _ in range(32)]
    outcomes = [outbox_deliver(message_id=m.pk) for m in messages]
    assert outcomes.count("sent") == 30 and outcomes.count("retry") == 2
    assert 45009 not in wecom_api.codes()  # our pacing kept WeCom's limit
    assert {_row(m).attempts for m in messages[30:]} == {0}
    clock.advance(seconds=61)
    assert [outbox_deliver(message_id=m.pk) for m in messages[30:]] == ["sent", "sent"]
    assert len(wecom_api.texts_to("zhang.wei")) == 32


def test_feishu_5_a_second_to_one_user_are_paced(feishu_api, clock):
    messages = [_queue("feishu", priority="code") for _ in range(6)]
    outcomes = [outbox_deliver(message_id=m.pk) for m in messages]
    assert outcomes.count("sent") == 5 and outcomes[-1] == "retry"
    clock.advance(seconds=2)
    assert outbox_deliver(message_id=messages[-1].pk) == "sent"
    assert 99991400 not in feishu_api.codes()


def test_a_duplicate_delivery_after_a_lost_worker_is_folded_by_the_provider(wecom_api, clock):
    """The sweep re-sends a row whose worker died after the provider took it: WeCom's duplicate
    check (and Feishu's uuid) keep the person from reading it twice."""
    from messaging.services import outbox_sweep

    message = _queue("wecom")
    assert outbox_deliver(message_id=message.pk) == "sent"
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=Status.SENDING, claimed_at=clock.now(), sent_at=None
    )
    clock.advance(seconds=200)
    assert outbox_sweep()["recovered"] == 1  # and queued again (run at once in the tests)
    assert _row(message).status == Status.SENT and _row(message).attempts == 2
    assert len([path for path, _code in wecom_api.answers if path.endswith("send")]) == 2
    assert len(wecom_api.texts_to("zhang.wei")) == 1


def test_messenger_sends_count_on_their_own_spend_caps(wecom_api, settings, clock):
    settings.MESSENGER_CAP_PER_ID_HOUR = 2
    _queue("wecom", priority="code")
    _queue("wecom", priority="code")
    with pytest.raises(MessengerBlocked) as caught:
        _queue("wecom", priority="code")
    assert caught.value.reason == "id_hour"
    event = AuditEvent.objects.get(event="messaging.messenger_blocked")
    assert event.data["channel"] == "wecom" and event.subject == "zh***i"
    assert OutboxMessage.objects.count() == 2
    # courtesy messages stop at their share (50 %) of the cap
    settings.MESSENGER_CAP_PER_ID_HOUR = 10
    clock.advance(hours=1)
    for _ in range(5):
        _queue("wecom")
    with pytest.raises(MessengerBlocked):
        _queue("wecom")


def test_a_bad_messenger_id_is_refused_before_anything_is_written(wecom_api):
    from messaging.errors import InvalidRecipient

    for bad in ["", "a|b", "a,b", "x" * 65, "名字", "a b"]:
        with pytest.raises(InvalidRecipient):
            _queue("wecom", to=bad)
    assert not OutboxMessage.objects.exists()
