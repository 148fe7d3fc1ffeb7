"""Fixtures of the messenger tests: each provider's local fake, and the settings pointing at it."""

from __future__ import annotations

import pytest

WECOM_CORP = "ww0123456789abcdef"
WECOM_SECRET = "wecom-app-secret-test"
WECOM_AGENT = 1000002
DING_KEY = "dingtestappkey"
DING_SECRET = "ding-app-secret-test"
DING_AGENT = 2000001
FEISHU_APP = "cli_a1b2c3d4e5f6"
FEISHU_SECRET = "feishu-app-secret-test"
USERS = {"zhang.wei", "li.na"}


@pytest.fixture
def wecom_api(settings):
    from tests.messengers.fake_wecom import WeComApi

    server = WeComApi(corp_id=WECOM_CORP, secret=WECOM_SECRET, agent_id=WECOM_AGENT, users=USERS)
    server.start()
    settings.MESSENGER_WECOM_API_BASE = server.url
    settings.MESSENGER_WECOM_CORP_ID = WECOM_CORP
    settings.MESSENGER_WECOM_SECRET = WECOM_SECRET
    settings.MESSENGER_WECOM_AGENT_ID = str(WECOM_AGENT)
    yield server
    server.stop()


@pytest.fixture
def dingtalk_api(settings):
    from tests.messengers.fake_dingtalk import DingTalkApi

    server = DingTalkApi(app_key=DING_KEY, app_secret=DING_SECRET, agent_id=DING_AGENT, users=USERS)
    server.start()
    settings.MESSENGER_DINGTALK_API_BASE = server.url
    settings.MESSENGER_DINGTALK_APP_KEY = DING_KEY
    settings.MESSENGER_DINGTALK_APP_SECRET = DING_SECRET
    settings.MESSENGER_DINGTALK_AGENT_ID = str(DING_AGENT)
    yield server
    server.stop()


@pytest.fixture
def feishu_api(settings):
    from tests.messengers.fake_feishu import FeishuApi

    server = FeishuApi(app_id=FEISHU_APP, app_secret=FEISHU_SECRET, users=USERS).start()
    settings.MESSENGER_FEISHU_API_BASE = server.url
    settings.MESSENGER_FEISHU_APP_ID = FEISHU_APP
    settings.MESSENGER_FEISHU_APP_SECRET = FEISHU_SECRET
    yield server
    server.stop()


@pytest.fixture(params=["wecom", "dingtalk", "feishu"])
def messenger(request):
    """(channel, its fake) for each provider in turn."""
    return request.param, request.getfixturevalue(f"{request.param}_api")


@pytest.fixture
def deliver_on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)
