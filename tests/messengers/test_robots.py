"""Group robots: signed requests each provider's fake checks, pacing, and never a code."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from messaging.messengers import dingtalk, feishu, http, vault
from messaging.messengers.robots import (
    CodeToGroupRefused,
    robot_message_send,
    robot_save,
    robot_test_send,
    robots_notify,
)
from messaging.models import OutboxMessage, Robot
from messaging.services import outbox_deliver

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status
DING_ROBOT_TOKEN = "d1n9r0b0t70k3n"
DING_ROBOT_SECRET = "SEC0123456789abcdef0123456789abcdef"
FEISHU_HOOK = "8f0e6c5a-0000-4000-8000-feishuhook01"
FEISHU_SECRET = "feishu-bot-secret-01"
WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"


@pytest.fixture
def robots(wecom_api, dingtalk_api, feishu_api):
    wecom_api.robot_keys.add(WECOM_KEY)
    dingtalk_api.robots[DING_ROBOT_TOKEN] = DING_ROBOT_SECRET
    feishu_api.hooks[FEISHU_HOOK] = FEISHU_SECRET
    made = {}
    for kind, url, secret in [
        ("wecom", f"{wecom_api.url}/cgi-bin/webhook/send?key={WECOM_KEY}", ""),
        (
            "dingtalk",
            f"{dingtalk_api.url}/robot/send?access_token={DING_ROBOT_TOKEN}",
            DING_ROBOT_SECRET,
        ),
        ("feishu", f"{feishu_api.url}/open-apis/bot/v2/hook/{FEISHU_HOOK}", FEISHU_SECRET),
    ]:
        robot = Robot(name=f"{kind} helpdesk", kind=kind, events=["robot_unlock_request"])
        made[kind] = robot_save(robot=robot, webhook=url, secret=secret)
    return made, {"wecom": wecom_api, "dingtalk": dingtalk_api, "feishu": feishu_api}


def _hook(kind: str) -> str:
    return {"wecom": WECOM_KEY, "dingtalk": DING_ROBOT_TOKEN, "feishu": FEISHU_HOOK}[kind]


UNLOCK = {
    "reference": "UL-7Q2K",
    "username": "zhang.wei",
    "waiting_minutes": 3,
    "url": "https://portal.example.cn/admin/tickets/1/",
}


def test_each_robot_receives_its_event_signed_as_its_provider_checks(robots, clock):
    _made, apis = robots
    queued = robots_notify(kind="robot_unlock_request", context=UNLOCK)
    assert len(queued) == 3
    for message in queued:
        assert outbox_deliver(message_id=message.pk) == "sent"
    for kind, api in apis.items():
        [text] = api.texts_to(_hook(kind))
        assert "UL-7Q2K" in text and "zhang.wei" in text and UNLOCK["url"] in text


def test_the_webhook_and_secret_are_stored_encrypted(robots):
    made, _apis = robots
    row = Robot.objects.get(pk=made["dingtalk"].pk)
    assert DING_ROBOT_TOKEN not in row.webhook_encrypted
    assert DING_ROBOT_SECRET not in row.secret_encrypted
    assert vault.unseal(row.secret_encrypted) == DING_ROBOT_SECRET
    event = AuditEvent.objects.filter(event="messaging.robot_saved").first()
    assert DING_ROBOT_SECRET not in str(event.data) and DING_ROBOT_TOKEN not in str(event.data)


def test_a_stored_secret_survives_a_key_rotation(settings):
    sealed = vault.seal("SECabc")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-key-" + "x" * 50
    assert vault.unseal(sealed) == "SECabc"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError):
        vault.unseal(sealed)


@pytest.mark.parametrize("kind", ["dingtalk", "feishu"])
def test_a_wrong_secret_is_refused_by_the_provider_and_the_message_waits(robots, kind, clock):
    made, apis = robots
    robot_save(robot=made[kind], secret="SECwrong")
    message = robot_test_send(robot=made[kind], actor=None)
    assert outbox_deliver(message_id=message.pk) == "retry"
    assert {"dingtalk": 310000, "feishu": 19021}[kind] in apis[kind].codes()
    assert apis[kind].texts_to(_hook(kind)) == []
    assert "sign" in OutboxMessage.objects.get(pk=message.pk).last_error


def test_the_fakes_refuse_a_stale_timestamp_as_the_providers_do(robots, clock):
    _made, apis = robots
    old = int(clock.now().timestamp()) - 3700
    ding = apis["dingtalk"].url + f"/robot/send?access_token={DING_ROBOT_TOKEN}"
    sign = dingtalk.robot_sign(secret=DING_ROBOT_SECRET, timestamp_ms=old * 1000)
    body = {"msgtype": "text", "text": {"content": "x"}}
    answer = http.call(
        "POST", f"{ding}&timestamp={old * 1000}&sign={sign}", provider="t", body=body
    )
    assert answer.data == {"errcode": 310000, "errmsg": "invalid timestamp"}
    hook = apis["feishu"].url + f"/open-apis/bot/v2/hook/{FEISHU_HOOK}"
    signed = {"timestamp": str(old), "sign": feishu.bot_sign(secret=FEISHU_SECRET, timestamp=old)}
    answer = http.call(
        "POST", hook, provider="t", body={**signed, "msg_type": "text", "content": {"text": "x"}}
    )
    assert answer.data["code"] == 19021
    # and the roles of key and message are not interchangeable
    now = int(clock.now().timestamp())
    swapped = dingtalk.robot_sign(secret=FEISHU_SECRET, timestamp_ms=now)
    answer = http.call(
        "POST",
        hook,
        provider="t",
        body={"timestamp": str(now), "sign": swapped, "msg_type": "text", "content": {"text": "x"}},
    )
    assert answer.data["code"] == 19021


def test_a_code_can_never_reach_a_group(robots, clock):
    made, apis = robots
    with pytest.raises(CodeToGroupRefused):
        robots_notify(kind="reset_code", context={"code": "123456"})
    with pytest.raises(CodeToGroupRefused):
        robot_message_send(robot=made["wecom"], kind="robot_test", context={}, secret=True)
    with pytest.raises(CodeToGroupRefused):
        robot_message_send(robot=made["wecom"], kind="robot_unlock_request", context={"code": "1"})
    # A row written behind the services' back (or a kind configured to a robot) is still refused.
    made["wecom"].events = ["reset_code"]
    made["wecom"].save()
    now = clock.now()
    forged = OutboxMessage.objects.create(
        channel="robot",
        kind="reset_code",
        recipient=str(made["wecom"].pk),
        language="zh-hans",
        body_text="验证码 123456",
        secret=True,
        created_at=now,
        updated_at=now,
        next_attempt_at=now,
    )
    assert outbox_deliver(message_id=forged.pk) == "failed"
    assert apis["wecom"].texts_to(WECOM_KEY) == []
    assert "never goes to a group" in OutboxMessage.objects.get(pk=forged.pk).last_error


def test_dingtalk_robot_20_a_minute_are_paced(robots, clock):
    made, apis = robots
    messages = [robot_test_send(robot=made["dingtalk"], actor=None) for _ in range(21)]
    outcomes = [outbox_deliver(message_id=m.pk) for m in messages]
    assert outcomes.count("sent") == 20 and outcomes[-1] == "retry"
    assert 130101 not in apis["dingtalk"].codes()
    clock.advance(seconds=61)
    assert outbox_deliver(message_id=messages[-1].pk) == "sent"


def test_dingtalk_send_too_fast_pauses_the_robot_10_minutes(robots, clock):
    made, apis = robots
    apis["dingtalk"].script.append((200, {}, {"errcode": 130101, "errmsg": "send too fast"}))
    first = robot_test_send(robot=made["dingtalk"], actor=None)
    assert outbox_deliver(message_id=first.pk) == "retry"
    row = OutboxMessage.objects.get(pk=first.pk)
    assert row.attempts == 0 and (row.next_attempt_at - clock.now()).total_seconds() >= 599
    second = robot_test_send(robot=made["dingtalk"], actor=None)
    calls = len(apis["dingtalk"].answers)
    assert outbox_deliver(message_id=second.pk) == "retry"  # paused: DingTalk not even asked
    assert len(apis["dingtalk"].answers) == calls
    clock.advance(seconds=601)
    assert outbox_deliver(message_id=first.pk) == "sent"
    assert outbox_deliver(message_id=second.pk) == "sent"


def test_feishu_bot_5_a_second_are_paced(robots, clock):
    made, apis = robots
    messages = [robot_test_send(robot=made["feishu"], actor=None) for _ in range(6)]
    outcomes = [outbox_deliver(message_id=m.pk) for m in messages]
    assert outcomes.count("sent") == 5 and outcomes[-1] == "retry"
    assert 11232 not in apis["feishu"].codes()
    clock.advance(seconds=2)
    assert outbox_deliver(message_id=messages[-1].pk) == "sent"


def test_a_robot_from_the_environment(settings, wecom_api, clock):
    wecom_api.robot_keys.add("envkey")
    settings.MESSENGER_ROBOT_SECRETS = {
        "SECURITY": {"url": f"{wecom_api.url}/cgi-bin/webhook/send?key=envkey", "secret": ""}
    }
    robot = robot_save(robot=Robot(name="sec", kind="wecom", environment_name="SECURITY"))
    assert robot.webhook_encrypted == ""
    assert outbox_deliver(message_id=robot_test_send(robot=robot, actor=None).pk) == "sent"
    assert len(wecom_api.texts_to("envkey")) == 1


def test_an_event_seen_twice_is_queued_once_per_robot(robots):
    assert len(robots_notify(kind="robot_unlock_request", context=UNLOCK, key="t1")) == 3
    assert robots_notify(kind="robot_unlock_request", context=UNLOCK, key="t1") == []


def test_a_disabled_or_unsubscribed_robot_receives_nothing(robots):
    made, _apis = robots
    made["wecom"].enabled = False
    made["wecom"].save()
    assert len(robots_notify(kind="robot_unlock_request", context=UNLOCK)) == 2
    assert robots_notify(kind="robot_lock_storm", context={"network": "10.0.0.0/24"}) == []
