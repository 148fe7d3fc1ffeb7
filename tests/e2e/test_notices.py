"""Notices (issue 7): the troubleshooter's checks and the banner's Hide button in Chromium.

Here rather than in tests/notices/ so it shares this folder's one Playwright instance."""

from __future__ import annotations

import json
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


# --- Journey 4: what the troubleshooter says to a browser that cannot sign in ------------------
def test_cookies_blocked_in_the_browser_settings_are_named(_playwright, live_server, tmp_path):
    """Chromium with cookies blocked in its own settings (a profile whose preferences block every
    site's cookies, as "Block all cookies" does): the refused sign-in says cookies are blocked
    (templates/403_csrf.html, not Django's CSRF page) and links to the troubleshooter, whose
    check names it and opens the fix."""
    from tests.e2e.conftest import CHROMIUM_ARGS

    profile = tmp_path / "profile"
    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(
        json.dumps({"profile": {"default_content_setting_values": {"cookies": 2}}})
    )
    context = _playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path="/usr/bin/chromium",
        args=CHROMIUM_ARGS,
        locale="en-US",
        base_url=live_server.url,
    )
    try:
        context.set_default_timeout(10_000)
        page = context.pages[0] if context.pages else context.new_page()
        # The sign-in fails first: the answer names the cause and leads to the checks.
        page.goto("/accounts/login/")
        page.fill("input[name=username]", "zhang.wei")
        page.fill("input[name=password]", "a password")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").first.click()
        assert context.cookies() == []  # really blocked
        heading = page.get_by_role("heading", level=1).inner_text()
        assert heading == "Your browser is blocking the portal's cookies", heading
        assert "Allow cookies for this site" in page.locator("body").inner_text()
        with page.expect_navigation():
            page.get_by_role("link", name="Can't sign in? Check your browser").click()
        _checks_done(page)
        assert "check-fail" in page.get_attribute("#check-cookies", "class")
        assert (
            page.inner_text("#check-cookies [data-detail]") == "Cookies are blocked for this site."
        )
        assert page.get_attribute("#check-cookies [data-fix]", "open") is not None
        assert page.inner_text("#check-summary").startswith("Found a problem")
    finally:
        context.close()


def test_without_javascript_the_page_says_so_and_still_tests_cookies(new_context):
    context = new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.goto("/help/")
    note = page.locator("#checks noscript + p, #checks p.muted").first
    assert note.is_visible()
    assert note.inner_text().startswith("JavaScript is off, so this page cannot test your device.")
    assert page.inner_text("#check-cookies [data-badge]") == "Not checked"
    with page.expect_navigation():
        page.get_by_role("link", name="Test cookies now").click()
    assert "check-ok" in page.get_attribute("#check-cookies", "class")
    assert (
        page.inner_text("#check-cookies [data-detail]")
        == "Your browser sends cookies to the portal."
    )
    # The clock cannot be compared without a script: the server's time is shown to compare.
    assert "Server time when this page was made:" in page.inner_text("#check-clock")


def test_a_clock_two_hours_ahead_is_named_with_its_fix(new_context):
    """Hours, not "120 minutes"; and whole hours off is the time zone's doing, said so."""
    page = new_context(locale="en-US").new_page()
    page.clock.set_fixed_time(timezone.now() + timedelta(hours=2))
    page.goto("/help/")
    _checks_done(page)
    assert "check-fail" in page.get_attribute("#check-clock", "class")
    detail = page.inner_text("#check-clock [data-detail]")
    assert detail == (
        "Your device's clock is 2 hours ahead of the server's. If the time on your device looks "
        "right, its time zone is wrong: choose Asia/Shanghai and set the date and time "
        "automatically."
    ), detail
    fix = page.locator("#check-clock [data-fix]")
    assert fix.get_attribute("open") is not None
    assert "get the date and time automatically" in fix.inner_text()
