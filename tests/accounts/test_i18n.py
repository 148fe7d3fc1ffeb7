"""Reset pages, the security page and the messages read in Simplified Chinese."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from messaging import sms
from messaging.models import OutboxMessage
from tests.factories import UserFactory, otp_force_login

pytestmark = pytest.mark.django_db


def test_reset_pages_in_chinese(django_capture_on_commit_callbacks):
    UserFactory(username="zhang.wei", language="zh-hans")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = client.get("/accounts/password/reset/")
    assert "重置密码" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"identifier": "zhang.wei", "channel": "sms"})
    page = client.get("/accounts/password/reset/verify/")
    assert page.status_code == HTTPStatus.OK
    assert "验证码正通过短信发送" in page.content.decode()
    assert OutboxMessage.objects.get(kind="reset_code").language == "zh-hans"
    assert "密码重置验证码" in sms.outbox[-1].body


def test_security_page_in_chinese(client):
    user = UserFactory(username="zhang.wei")
    otp_force_login(client, user)
    page = client.get("/account/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = page.content.decode()
    assert "找回联系方式" in body and "最近登录" in body and "两步登录" in body
    page = client.get("/account/two-step/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "生成新的备用码" in page.content.decode()
