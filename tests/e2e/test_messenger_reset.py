"""In Chromium: a person resets the password by a code sent to WeCom (read from the local WeCom
fake, as the person reads it in the WeCom app), sets a new password and signs in."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.messenger_ids import messenger_ids_import
from tests.factories import UserFactory
from tests.messengers.conftest import wecom_api  # noqa: F401 (the local WeCom fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "a long new passphrase for the messenger"


def test_reset_by_a_wecom_code_then_sign_in(page, wecom_api):  # noqa: F811
    UserFactory(username="zhang.wei", email="zhang.wei@corp.example.cn", language="zh-hans")
    messenger_ids_import(text="zhang.wei,wecom,zhang.wei")
    page.goto("/accounts/password/reset/")
    assert "企业微信" in page.locator("main").inner_text()
    page.fill("input[name=identifier]", "zhang.wei")
    page.check("input[name=channel][value=wecom]")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/verify/"))
    assert "企业微信" in page.locator("main").inner_text()
    [text] = wecom_api.texts_to("zhang.wei")
    code = re.search(r"(?<!\d)(\d{6})(?!\d)", text).group(1)
    page.fill("input[name=code]", code)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/password/reset/new/"))
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    page.fill("input[name=username]", "zhang.wei")
    page.fill("input[name=password]", NEW_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/account/"))
    assert not [m for m in mail.outbox if code in m.body]  # the code went by WeCom only
