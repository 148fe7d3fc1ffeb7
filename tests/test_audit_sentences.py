"""Audit rows read as sentences for agents, in English and Chinese: ordinals, the door, the IP,
the browser in words, known or unknown browser, the agent who acted; never a raw ``key: value``
and never a detail the sentence does not know."""

from __future__ import annotations

import pytest
from django.utils import translation

from audit.models import AuditEvent
from audit.sentences import event_sentence, ordinal
from tests.factories import StaffFactory, UserFactory

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/156.0.0.0 Safari/537.36"
)


def row(event: str, data: dict, **fields) -> AuditEvent:
    return AuditEvent(event=event, data=data, **fields)


FIFTH_WRONG = row(
    "signin.failed",
    {"door": "site", "reason": "bad_password", "failure": 5, "limit": 5, "known_browser": False},
    ip="10.2.3.4",
    user_agent=CHROME_WINDOWS,
)


def test_a_wrong_password_reads_as_the_issue_says():
    with translation.override("en"):
        assert event_sentence(FIFTH_WRONG) == (
            "5th wrong password at the site sign-in, from 10.2.3.4, Chrome 156 on Windows, "
            "an unknown browser"
        )
    with translation.override("zh-hans"):
        assert event_sentence(FIFTH_WRONG) == (
            "在网站登录页第 5 次输错密码，来自 10.2.3.4，Windows 上的 Chrome 156，未知浏览器"
        )


@pytest.mark.parametrize(
    ("n", "english"),
    [
        *[(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th")],
        *[(13, "13th"), (21, "21st"), (22, "22nd"), (23, "23rd"), (101, "101st"), (111, "111th")],
    ],
)
def test_ordinals(n, english):
    with translation.override("en"):
        assert ordinal(n) == english
    with translation.override("zh-hans"):
        assert ordinal(n) == f"第 {n} 次"


@pytest.mark.parametrize(
    ("event", "data", "english", "chinese"),
    [
        (
            "signin.failed",
            {"door": "admin", "reason": "bad_code", "failure": 2, "known_browser": True},
            "2nd failed sign-in at the admin sign-in: wrong two-step code, a known browser",
            "在管理后台登录页第 2 次登录失败：两步验证码错误，已知浏览器",
        ),
        (
            "signin.succeeded",
            {"door": "admin", "second_step": "totp", "known_browser": True},
            "Signed in at the admin sign-in with an authenticator code, a known browser",
            "在管理后台登录页登录成功，使用验证器验证码，已知浏览器",
        ),
        (
            "signin.locked",
            {
                "reference": "LK-7Q2M",
                "scope": "account",
                "failures": 5,
                "minutes": 30,
                "locked_until": "2026-11-24T02:30:00+00:00",
            },
            "Account locked for 30 minutes after 5 failures, until 2026-11-24 10:30 (LK-7Q2M)",
            "账户已锁定 30 分钟，此前失败 5 次，至 2026-11-24 10:30（LK-7Q2M）",
        ),
        (
            "signin.refused",
            {"door": "site", "scope": "account", "reference": "LK-7Q2M", "locked_until": ""},
            "Sign-in refused at the site sign-in: the account is locked (LK-7Q2M)",
            "在网站登录页登录被拒：账户已锁定（LK-7Q2M）",
        ),
        (
            "code.sent",
            {"purpose": "reset", "channel": "sms", "to": "138****5678", "device": 7, "sends": 2},
            "Reset code sent by text message to 138****5678 (the 2nd send)",
            "重置验证码已通过短信发送，发往 138****5678（第 2 次发送）",
        ),
        (
            "code.failed",
            {"purpose": "reset", "reason": "wrong_or_expired", "tries_left": 1},
            "Wrong reset code, 1 try left",
            "重置验证码错误，还剩 1 次机会",
        ),
        (
            "signin.unlocked",
            {"how": "manual", "references": ["LK-7Q2M"], "reason": "called from the desk phone"},
            "Unlocked by the helpdesk (LK-7Q2M); reason: “called from the desk phone”",
            "服务台已解锁（LK-7Q2M）；原因：“called from the desk phone”",
        ),
        (
            "signin.auto_unlocked",
            {"reference": "LK-7Q2M", "scope": "account", "how": "expired"},
            "Lock LK-7Q2M ran out",
            "锁定 LK-7Q2M 已到期",
        ),
        (
            "signin.lock_storm",
            {"network": "203.0.113.0/24", "accounts": 12, "minutes": 5},
            "Lock storm: 12 accounts locked from 203.0.113.0/24 within 5 minutes",
            "大量锁定：5 分钟内来自 203.0.113.0/24 的 12 个账户被锁定",
        ),
        (
            "contact.changed",
            {"kind": "email", "from": "z***@corp.cn", "to": "w***@corp.cn"},
            "Recovery email changed from z***@corp.cn to w***@corp.cn",
            "找回用的电子邮件已从 z***@corp.cn 改为 w***@corp.cn",
        ),
        (
            "ticket.caller_verified",
            {"reference": "UNL-2026-000042", "channel": "email"},
            "Caller verified by email (UNL-2026-000042)",
            "来电人已核验（通过电子邮件）（UNL-2026-000042）",
        ),
    ],
)
def test_each_kind_reads_as_a_sentence_in_both_languages(event, data, english, chinese, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("en"):
        assert event_sentence(row(event, data)) == english
    with translation.override("zh-hans"):
        assert event_sentence(row(event, data)) == chinese


def test_details_the_sentence_does_not_know_are_never_shown():
    unknown = row(
        "signin.succeeded",
        {"door": "site", "sid": "b64-session-id", "device": "otp_totp.totpdevice/9"},
    )
    with translation.override("en"):
        text = event_sentence(unknown)
    assert text == "Signed in at the site sign-in"
    assert "b64-session-id" not in text and "totpdevice" not in text and ":" not in text


def test_an_event_without_a_builder_reads_as_its_label():
    with translation.override("en"):
        assert event_sentence(row("twostep.enabled", {"device": "x", "backup_codes": 10})) == (
            "Two-step sign-in turned on"
        )


@pytest.mark.django_db
def test_the_agent_who_acted_is_named_not_the_employee():
    employee, agent = UserFactory(username="zhang.wei"), StaffFactory(username="agent.wang")
    done = row("signin.unlocked", {"how": "manual", "references": []}, user=employee, actor=agent)
    own = row("signin.succeeded", {"door": "site"}, user=employee, actor=employee)
    with translation.override("en"):
        assert event_sentence(done) == "Unlocked by the helpdesk, by agent.wang"
        assert event_sentence(own) == "Signed in at the site sign-in"
    with translation.override("zh-hans"):
        assert event_sentence(done) == "服务台已解锁，操作人 agent.wang"


@pytest.mark.django_db
def test_the_audit_list_shows_sentences_at_a_constant_cost():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from audit.services import audit_record
    from tests.tickets.conftest import admin_client_for, make_agent

    agent = make_agent("agent.zhou")
    client = admin_client_for(agent)
    employee = UserFactory(username="zhang.wei")

    def add(n: int) -> None:
        for i in range(n):
            audit_record(
                event="signin.failed",
                user=employee,
                actor=agent if i % 2 else None,
                ip="10.2.3.4",
                ua=FIFTH_WRONG.user_agent,
                data={"door": "site", "reason": "bad_password", "failure": i % 5 + 1},
            )

    counts = []
    for n in (3, 150):
        add(n)
        client.get("/admin/audit/auditevent/", HTTP_ACCEPT_LANGUAGE="en")
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/admin/audit/auditevent/", HTTP_ACCEPT_LANGUAGE="en")
        counts.append(len(captured))
    page = response.content.decode()
    assert "wrong password at the site sign-in, from 10.2.3.4, Chrome 156 on Windows" in page
    assert "by agent.zhou" in page
    assert "bad_password" not in page and "door:" not in page
    assert counts[0] == counts[1], counts
