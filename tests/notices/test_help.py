"""/help/ (troubleshooter), /help/faq/, the unlock-form question, messages during maintenance."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils.html import escape

from notices.forms import MAINTENANCE_FIELD, MaintenanceAnswer, maintenance_question_field
from notices.message_context import maintenance_context
from notices.models import FaqEntry, Severity
from notices.selectors import notices_for_question
from notices.troubleshooter import browser_verdict
from tests.notices.conftest import at
from tests.notices.factories import NoticeFactory

pytestmark = pytest.mark.django_db

CHROME_120 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
CHROME_80 = CHROME_120.replace("Chrome/120", "Chrome/80")
IE_11 = "Mozilla/5.0 (Windows NT 6.1; Trident/7.0; rv:11.0) like Gecko"


def checks_of(response) -> dict:
    return {c.key: c for c in response.context["checks"]}


def test_help_works_without_javascript(clock, en):
    response = en.get("/help/", HTTP_USER_AGENT=CHROME_120)
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    # The checks the server can decide, decided; every fix readable in <details>.
    checks = checks_of(response)
    assert list(checks) == ["network", "cookies", "browser", "clock", "maintenance"]
    assert checks["network"].status == "ok"
    assert checks["browser"].status == "ok"
    assert checks["maintenance"].status == "ok"
    assert checks["clock"].status == "unknown"
    assert body.count('<details class="check-fix"') == 5
    assert "Server time when this page was made: 2026-11-24 09:00 (Asia/Shanghai)" in body
    # The paths by situation, as plain links.
    for href in ("/accounts/password/reset/", "/accounts/locked/", "/tickets/unlock/"):
        assert f'href="{href}"' in body
    assert 'href="/help/faq/#new-device"' in body
    assert (
        "starts after 5 wrong passwords in a row and ends by itself, the first time after 30"
        in body
    )
    # The fixes come from the admin-editable FAQ.
    assert escape(FaqEntry.objects.get(slug="clock").question_en) in body
    assert '<script src="/static/notices/help.js" defer>' in body


def test_help_uses_the_edited_faq_text_as_the_fix(clock, en):
    FaqEntry.objects.filter(slug="network").update(answer_en="Plug the cable back in.")
    assert "Plug the cable back in." in en.get("/help/").content.decode()
    FaqEntry.objects.filter(slug="network").update(published=False)
    response = en.get("/help/")
    assert checks_of(response)["network"].fix.question == "The portal does not load"


@pytest.mark.parametrize(
    ("ua", "status", "needle"),
    [
        (CHROME_120, "ok", "Chrome 120 on Windows is supported."),
        (CHROME_80, "fail", "Chrome 80 on Windows is too old: version 109 or newer is needed."),
        (IE_11, "fail", "Internet Explorer is not supported."),
        ("curl/8.0", "unknown", "We could not recognise your browser."),
        ("", "unknown", "We could not recognise your browser."),
    ],
)
def test_browser_check_against_the_supported_list(clock, en, ua, status, needle):
    response = en.get("/help/", HTTP_USER_AGENT=ua)
    check = checks_of(response)["browser"]
    assert (check.status, check.detail) == (status, needle)
    if status == "fail":
        assert '<details class="check-fix" data-fix open>' in response.content.decode()


def test_supported_list_is_a_setting(settings):
    settings.HELP_SUPPORTED_BROWSERS = {"Chrome": 121}
    assert browser_verdict(CHROME_120)[0] == "fail"


def test_cookie_check_without_javascript(clock, client):
    response = client.get("/help/cookies/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/help/?cookies=1#check-cookies"
    assert response.cookies["portal_cookie_test"]["httponly"]
    # A browser that kept the cookie:
    assert checks_of(client.get(response["Location"]))["cookies"].status == "ok"
    # One that did not:
    client.cookies.clear()
    assert checks_of(client.get("/help/?cookies=1"))["cookies"].status == "fail"


def test_help_shows_active_maintenance(clock, en):
    NoticeFactory(title_en="Mail outage", severity=Severity.OUTAGE, blocks_signin=True)
    response = en.get("/help/")
    check = checks_of(response)["maintenance"]
    assert check.status == "fail"
    assert "Mail outage" in check.detail
    body = response.content.decode()
    assert "There is no need to reset your password or file an unlock request." in body


def test_help_in_chinese(clock, zh):
    body = zh.get("/help/").content.decode()
    assert "无法登录？" in body
    assert FaqEntry.objects.get(slug="clock").question_zh in body


def test_faq_seeded_in_both_languages_in_order(clock, client):
    entries = list(FaqEntry.objects.all())
    assert len(entries) >= 10
    assert all(e.question_zh and e.question_en and e.answer_zh and e.answer_en for e in entries)
    slugs = [e.slug for e in entries]
    for needed in ("forgot-password", "maintenance", "new-device", "account-locked"):
        assert needed in slugs
    assert "lock-duration" in slugs
    body = client.get("/help/faq/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.index("I forgot my password") < body.index("How long does a lock last?")
    assert "{lock_minutes}" not in body
    assert "at first for 30 minutes" in body  # the real settings, filled in
    assert "within 24 hours after a lock ended" in body
    body = client.get("/help/faq/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "我忘记了密码，怎么办？" in body


def test_unpublished_faq_entries_are_hidden(clock, en):
    FaqEntry.objects.filter(slug="clock").update(published=False)
    assert "Does my device&#x27;s clock matter?" not in en.get("/help/faq/").content.decode()


def test_unlock_form_question_for_active_notices(clock):
    assert notices_for_question() == []
    notice = NoticeFactory(title_en="Mail outage")
    NoticeFactory(title_en="Later", starts_at=at(20), ends_at=at(21))
    active = notices_for_question()
    assert [n.pk for n in active] == [notice.pk]
    html = render_to_string(
        "notices/maintenance_question.html", {"notices": active}, request=RequestFactory().get("/")
    )
    assert "Mail outage" in html
    assert f'name="{MAINTENANCE_FIELD}" value="{MaintenanceAnswer.MAINTENANCE}"' in html
    assert 'value="other"' in html
    field = maintenance_question_field()
    assert field.clean("maintenance") == "maintenance"
    assert render_to_string("notices/maintenance_question.html", {"notices": []}).strip() == ""


def test_messages_sent_during_a_notice_mention_it(clock):
    assert maintenance_context(kind="account_locked", user=None, language="en") == {
        "maintenance_notices": []
    }
    NoticeFactory(title_en="Mail outage", title_zh="邮件中断", starts_at=at(8), ends_at=at(9, 25))
    NoticeFactory(title_en="Later", starts_at=at(20), ends_at=at(21))
    (item,) = maintenance_context(kind="account_locked", user=None, language="en")[
        "maintenance_notices"
    ]
    assert item.title == "Mail outage"
    assert item.until == "09:25"
    assert str(item) == "Mail outage: expected back at 09:25 (in 25\xa0minutes)"
    (item,) = maintenance_context(kind="x", user=None, language="zh-hans")["maintenance_notices"]
    assert item.title == "邮件中断"
    assert item.when == "预计 09:25 恢复（还有 25\xa0分钟）"


def test_context_processor_is_registered_for_messaging(settings):
    assert "notices.message_context.maintenance_context" in settings.MESSAGING_CONTEXT_PROCESSORS


def test_email_and_sms_sent_during_maintenance_carry_it(clock, user):
    from messaging.services import messaging_send

    NoticeFactory(title_en="Mail outage", title_zh="邮件中断", starts_at=at(8), ends_at=at(9, 25))
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    email = messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    sms = messaging_send(channel="sms", kind="messaging_test", context={}, to_user=user)
    assert "邮件中断" in email.body_text
    assert "预计 09:25 恢复" in email.body_text
    assert "邮件中断" in email.body_html
    assert "邮件中断" in sms.body_text
    clock.set(at(9, 25))  # over: later messages no longer mention it
    email = messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    assert "邮件中断" not in email.body_text


def test_announcements_do_not_count_as_maintenance(clock, en):
    NoticeFactory(title_en="New help centre", severity=Severity.INFO, ends_at=at(18))
    response = en.get("/help/")
    assert checks_of(response)["maintenance"].status == "ok"
    assert notices_for_question() == []
    assert maintenance_context(kind="x", user=None, language="en") == {"maintenance_notices": []}
    body = response.content.decode()
    assert "New help centre" in body  # still announced in the banner...
    assert "until 18:00" in body  # ...without "expected back", since nothing is down
    assert "expected back at" not in body
