"""Fixtures of the messaging tests."""

from __future__ import annotations

import pytest

from messaging import sms


@pytest.fixture
def sms_outbox():
    return sms.outbox


@pytest.fixture
def deliver_on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks (the eager delivery task) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def english():
    """Error sentences are lazily translated: read them in English."""
    from django.utils import translation

    with translation.override("en"):
        yield


# --- Fake SMS providers (local HTTP servers) -------------------------------------------------
WEBHOOK_SECRET = "whsec-test-0123456789abcdef"
TWILIO_SID = "AC" + "0" * 31 + "1"
TWILIO_TOKEN = "twilio-token-test"
ALIYUN_KEY_ID = "LTAI5tTestKeyId"
ALIYUN_SECRET = "aliyun-secret-test"


@pytest.fixture
def webhook_gateway(settings):
    from tests.messaging.fakes import WebhookGateway

    server = WebhookGateway(WEBHOOK_SECRET).start()
    settings.SMS_BACKEND = "webhook"
    settings.SMS_WEBHOOK_URL = server.url + "/sms/send"
    settings.SMS_WEBHOOK_SECRET = WEBHOOK_SECRET
    yield server
    server.stop()


@pytest.fixture
def twilio_api(settings):
    from tests.messaging.fakes import TwilioApi

    server = TwilioApi(TWILIO_SID, TWILIO_TOKEN).start()
    settings.SMS_BACKEND = "twilio"
    settings.SMS_TWILIO_API_BASE = server.url
    settings.SMS_TWILIO_ACCOUNT_SID = TWILIO_SID
    settings.SMS_TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SMS_TWILIO_FROM = "+15005550006"
    yield server
    server.stop()


@pytest.fixture
def aliyun_api(settings):
    from tests.messaging.fakes import AliyunApi

    server = AliyunApi(ALIYUN_KEY_ID, ALIYUN_SECRET).start()
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ENDPOINT = server.url
    settings.SMS_ALIYUN_ACCESS_KEY_ID = ALIYUN_KEY_ID
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = ALIYUN_SECRET
    settings.SMS_ALIYUN_SIGN_NAME = "账户门户"
    settings.SMS_ALIYUN_TEMPLATES = {"messaging_test": "SMS_100001"}
    yield server
    server.stop()


@pytest.fixture(params=["webhook_gateway", "twilio_api", "aliyun_api"])
def provider(request):
    """Each real SMS provider in turn, against its local fake."""
    return request.getfixturevalue(request.param)


@pytest.fixture(autouse=True)
def _reset_test_backends():
    from tests.messaging import backends

    backends.reset()
