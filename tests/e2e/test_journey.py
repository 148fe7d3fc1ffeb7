"""The journey the portal exists for, in a real browser: an employee locks the account with wrong
passwords, learns when it unlocks, resets the password with an emailed code, and signs in."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a long new passphrase for spring"


def _submit_login(page, username: str, password: str):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def test_locked_out_employee_resets_and_signs_in(page):
    UserFactory(username="wang.fang", email="wang.fang@corp.example.cn", language="zh-hans")
    page.goto("/accounts/login/")
    for n in range(5):
        _submit_login(page, "Wang.Fang ", f"wrong guess {n}")
    # The lock page: in the layout, with a reference and the three ways out.
    assert page.url.endswith("/accounts/locked/") or "锁定" in page.content()
    body = page.locator("main").inner_text()
    assert re.search(r"LK-[0-9A-Z]{5}", body)
    assert page.locator("a[href^='/tickets/unlock/']").count() >= 1

    # Way out: reset now.
    page.locator("main a[href^='/accounts/password/reset/']").first.click()
    page.fill("input[name=identifier]", "wang.fang@corp.example.cn")
    page.check("input[name=channel][value=email]")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/verify/"))
    code = re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/new/"))
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()

    # Not signed in automatically: back at the login page, the lock lifted by the reset.
    page.wait_for_url(re.compile(r"/accounts/login/"))
    _submit_login(page, "wang.fang", NEW_PASSWORD)
    page.wait_for_url(re.compile(r"/account/"))
    assert page.get_by_role("heading", level=1).count() == 1
    subjects = [m.subject for m in mail.outbox]
    assert len(subjects) >= 3  # the lock notice, the code, the "password changed" notice
