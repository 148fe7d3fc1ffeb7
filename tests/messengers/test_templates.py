"""Every kind renders for every messenger in both languages, within each provider's limit, with
long values (a 150-character username, a long title, a long URL)."""

from __future__ import annotations

import pytest

from messaging.rendering import MESSENGER_TEXT_BYTES, kind_channels, render_message, template_kinds

pytestmark = pytest.mark.django_db

LONG = {
    "code": "123456",
    "expires_minutes": 10,
    "username": "u" * 150,
    "reference": "UL-7Q2K9",
    "waiting_minutes": 1440,
    "url": "https://portal.example.cn/admin/tickets/ticket/1234567/change/",
    "title": "系统维护" * 30,  # the notice title's 120 characters
    "summary": "影响" * 1000,  # a notice message's 2000 characters
    "starts": "2026-11-24 22:00",
    "ends": "2026-11-25 02:00",
    "previous_ends": "2026-11-25 01:00",
    "ended": "2026-11-25 01:40",
    "network": "203.0.113.0/24",
    "accounts": 48,
    "minutes": 5,
    "robot_name": "服务台" * 30,
    "ip": "203.0.113.9",
    "note": "n" * 40,
    "days": 3,
    "days_left": 3,
    "attempts": 5,
    "count": 2,
}


def _kinds_with(channel: str) -> list[str]:
    return sorted(k for k in template_kinds() if channel in kind_channels(k))


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("channel", sorted(MESSENGER_TEXT_BYTES))
def test_every_kind_fits_each_messenger(channel, language):
    kinds = _kinds_with(channel)
    assert "reset_code" in kinds and "messenger_code" in kinds
    for kind in kinds:
        text = render_message(channel=channel, kind=kind, context=LONG, language=language).text
        assert text.strip(), kind
        assert len(text.encode()) <= MESSENGER_TEXT_BYTES[channel], kind


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("robot", sorted(MESSENGER_TEXT_BYTES))
def test_every_robot_kind_fits_each_robot(robot, language):
    kinds = _kinds_with("robot")
    assert {"robot_test", "robot_unlock_request", "robot_sla_breach"} <= set(kinds)
    for kind in kinds:
        text = render_message(
            channel="robot",
            kind=kind,
            context=LONG,
            language=language,
            limit_bytes=MESSENGER_TEXT_BYTES[robot],
        ).text
        assert text.strip() and "{" not in text, kind
        if language == "zh-hans" and kind != "robot_test":
            assert any("\u4e00" <= ch <= "\u9fff" for ch in text.split(LONG["url"])[0]), kind


def test_a_text_past_the_limit_is_refused_at_render_time():
    from messaging.errors import MessageTooLarge

    with pytest.raises(MessageTooLarge):
        render_message(
            channel="robot",
            kind="robot_unlock_request",
            context={**LONG, "username": "长" * 2000},
            language="zh-hans",
            limit_bytes=2048,
        )
