"""Journey 3 in Chromium: an administrator posts a maintenance notice that closes employee
sign-in (the admin's add form); the login page and an app's OpenID Connect authorize page show it
with the time sign-in is back; an employee who had the login form open is refused with the notice
(nothing checked, nothing counted); the administrator ends the notice (the list's "end now"
action), and the employee's "Try again" on the app's page signs in and goes back to the app."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from notices.models import Notice
from signin.selectors import lock_status
from tests.e2e.browser import admin_sign_in
from tests.factories import DEFAULT_PASSWORD, SuperuserFactory, UserFactory
from tests.sso.oidc import REDIRECT, authorize_query, pkce, register

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SUBMIT = "main form button[type=submit]"


def _fill_when(page, field: str, when) -> None:
    local = timezone.localtime(when)
    page.fill(f"#id_{field}_0", local.strftime("%Y-%m-%d"))
    page.fill(f"#id_{field}_1", local.strftime("%H:%M:%S"))


def test_a_blocking_notice_closes_sign_in_until_the_admin_ends_it(new_context, tasks, shots):
    UserFactory(username="chen.jie", language="en")
    admin = SuperuserFactory(username="root.admin")
    rp = register(name="Sales CRM")
    _verifier, challenge = pkce()

    # The employee opens the login page before the maintenance.
    employee = new_context(locale="en-US").new_page()
    employee.goto("/accounts/login/")
    employee.fill("input[name=username]", "chen.jie")
    employee.fill("input[name=password]", DEFAULT_PASSWORD)

    # The administrator posts the notice: sign-in closed from now for 90 minutes.
    desk = new_context(locale="en-US").new_page()
    admin_sign_in(desk, admin, password=DEFAULT_PASSWORD)
    desk.goto("/admin/notices/notice/add/")
    now = timezone.now()
    ends = (now + timedelta(minutes=90)).replace(second=0, microsecond=0)
    desk.select_option("#id_severity", "outage")
    desk.check("#id_published")
    desk.check("#id_blocks_signin")
    _fill_when(desk, "starts_at", now - timedelta(minutes=1))
    _fill_when(desk, "ends_at", ends)
    desk.fill("#id_title_zh", "目录服务器升级")
    desk.fill("#id_title_en", "Directory server upgrade")
    desk.fill("#id_message_zh", "升级期间无法登录。")
    desk.fill("#id_message_en", "Sign-in is closed during the upgrade.")
    with desk.expect_navigation():
        desk.locator("input[name=_save]").click()
    notice = Notice.objects.get()
    assert notice.blocks_signin and notice.is_active_at(timezone.now())
    back_at = timezone.localtime(ends).strftime("%H:%M")

    # The employee's sign-in is refused with the notice; nothing was checked or counted.
    with employee.expect_navigation():
        employee.locator(SUBMIT).first.click()
    text = employee.locator("main").inner_text()
    assert "Directory server upgrade" in text and back_at in text
    assert employee.get_by_role("alert").inner_text().startswith("Your sign-in was not tried")
    assert lock_status(username="chen.jie").failures == 0
    shots.take(employee, "signin-paused")

    # The login page and the app's authorize page say the same, with the time it is back.
    for path in ["/accounts/login/", authorize_query(rp, challenge=challenge)]:
        response = employee.goto(path)
        assert response.status == 200, path
        assert employee.locator("input[name=password]").count() == 0, path
        banner = employee.locator(".notice").first.inner_text()
        assert "Directory server upgrade" in banner and back_at in banner, (path, banner)
        assert back_at in employee.locator("main .paused-when").inner_text(), path
    shots.take(employee, "authorize-paused")

    # The administrator ends it from the list ("maintenance is over").
    desk.goto("/admin/notices/notice/")
    desk.locator("input.action-select").first.check()
    desk.select_option("select[name=action]", "end_now")
    with desk.expect_navigation():
        desk.locator("button[name=index], input[name=index]").first.click()
    notice.refresh_from_db()
    assert not notice.is_active_at(timezone.now())

    # "Try again" on the app's page: the login form is back, and the sign-in goes on to the app
    # with its code (the browser asks for the app's callback; its host is not on this machine).
    with employee.expect_navigation():
        employee.get_by_role("link", name="Try again").click()
    assert employee.locator(".notice").count() == 0
    employee.wait_for_url(re.compile(r"/accounts/login/\?next="))
    employee.fill("input[name=username]", "chen.jie")
    employee.fill("input[name=password]", DEFAULT_PASSWORD)
    with employee.expect_request(re.compile("^" + re.escape(REDIRECT))) as callback:
        employee.locator(SUBMIT).first.click()
    query = parse_qs(urlsplit(callback.value.url).query)
    assert query["state"] == ["st-1"] and len(query["code"][0]) > 20
