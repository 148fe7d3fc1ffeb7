"""Notices (issue 7): the troubleshooter's checks and the banner's Hide button in Chromium.

Here rather than in tests/notices/ so it shares this folder's one Playwright instance."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notices.models import Severity
from tests.notices.factories import NoticeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The summary is written once every check has answered. Waited for through a locator: a polled
# JavaScript string would need eval, which the Content-Security-Policy forbids.
CHECKED = re.compile(r"\S")


def _checks_done(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#check-summary")).to_have_text(CHECKED)


@pytest.fixture
def context(chromium, live_server):
    context = chromium.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context
    context.close()


def test_checks_run_in_the_browser(context):
    NoticeFactory(title_en="Mail outage", severity=Severity.OUTAGE)
    NoticeFactory(title_en="New help pages", severity=Severity.INFO)
    page = context.new_page()
    page.goto("/help/")
    _checks_done(page)
    status = {
        key: page.get_attribute(f"#check-{key}", "class")
        for key in ("network", "cookies", "browser", "clock", "maintenance")
    }
    assert "check-ok" in status["network"]
    assert "check-ok" in status["cookies"]
    assert "check-ok" in status["browser"]
    assert "check-ok" in status["clock"]
    assert "check-fail" in status["maintenance"]
    assert page.inner_text("#check-maintenance [data-detail]") == "Maintenance now: Mail outage"
    assert page.get_attribute("#check-maintenance [data-fix]", "open") is not None
    assert page.inner_text("#check-summary").startswith("Found a problem")


def test_a_wrong_device_clock_is_flagged_with_its_fix(context):
    page = context.new_page()
    page.clock.set_fixed_time(timezone.now() + timedelta(minutes=10))
    page.goto("/help/")
    _checks_done(page)
    assert "check-fail" in page.get_attribute("#check-clock", "class")
    assert "10 minutes ahead" in page.inner_text("#check-clock [data-detail]")
    assert page.get_attribute("#check-clock [data-fix]", "open") is not None


def test_hide_an_informational_notice_without_reloading(context):
    NoticeFactory(title_en="New help pages", severity=Severity.INFO)
    page = context.new_page()
    page.goto("/")
    page.evaluate("window.__same_page = true")
    page.get_by_role("button", name="Hide the notice").click()
    page.wait_for_selector(".notice", state="detached")
    assert page.evaluate("window.__same_page") is True  # no navigation happened
    page.reload()
    assert "New help pages" not in page.content()
