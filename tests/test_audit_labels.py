"""Agents read the audit trail in words, in their language, with local times."""

from __future__ import annotations

from django.utils import translation

from audit.labels import details_text, event_label


def test_known_events_read_as_words_in_chinese_and_english():
    with translation.override("zh-hans"):
        assert event_label("signin.locked") == "账户已锁定"
    with translation.override("en"):
        assert event_label("signin.locked") == "Account locked"
    assert event_label("brand.new_event") == "brand.new_event"


def test_details_show_local_times_and_yes_no(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    with translation.override("en"):
        text = details_text(
            {"locked_until": "2026-11-24T18:06:30.915793+00:00", "known_browser": False, "x": ""}
        )
    assert text == "locked_until: 2026-11-25 02:06, known_browser: no"


def test_every_event_the_code_writes_reads_as_words():
    import re
    from pathlib import Path

    from audit.labels import EVENT_LABELS

    root = Path(__file__).resolve().parents[1]
    found = set()
    for app in (
        "portal",
        "audit",
        "messaging",
        "accounts",
        "directory",
        "signin",
        "reset",
        "access_pass",
        "notices",
        "sso",
        "tickets",
    ):
        for path in (root / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            text = path.read_text()
            found |= set(re.findall(r'\bevent="([a-z_]+\.[a-z_]+)"', text))
            found |= set(re.findall(r'"(signin\.ip_blocked|signin\.locked)"', text))
            found |= set(re.findall(r'"(directory\.account_(?:disabled|enabled))"', text))
            if app == "tickets":
                found |= {f"ticket.{name}" for name in re.findall(r'\baudit\(\s*"([a-z_]+)"', text)}
    assert len(found) > 50
    assert sorted(found - set(EVENT_LABELS)) == []
