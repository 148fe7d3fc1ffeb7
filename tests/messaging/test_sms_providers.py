"""The real SMS providers (webhook, Twilio, Alibaba Cloud) against local fake servers that check
authentication and answer with each provider's reply and error shapes."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from audit.models import AuditEvent
from messaging.models import OutboxMessage
from messaging.services import messaging_send, outbox_sweep
from messaging.sms import aliyun
from messaging.sms.webhook import webhook_signature, webhook_verify
from tests.messaging.conftest import TWILIO_SID

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


def _send(user, deliver_on_commit, **kwargs) -> OutboxMessage:
    with deliver_on_commit():
        message = messaging_send(
            channel="sms", kind="messaging_test", context={"note": "N"}, to_user=user, **kwargs
        )
    message.refresh_from_db()
    return message


def test_sent_through_each_provider_once_with_its_authentication(provider, user, deliver_on_commit):
    message = _send(user, deliver_on_commit)
    assert message.status == Status.SENT
    assert message.attempts == 1
    assert len(provider.requests) == 1
    assert provider.refused == []
    assert message.provider_message_id


def test_bad_number_fails_permanently_audited(provider, user, deliver_on_commit):
    provider.script.append(provider.bad_number(user.phone.as_e164))  # errors quote the number
    message = _send(user, deliver_on_commit)
    assert message.status == Status.FAILED
    assert message.attempts == 1
    assert message.last_error
    event = AuditEvent.objects.get(event="messaging.failed")
    assert event.user == user
    assert event.subject == "138****0000" or event.subject.endswith(
        "****" + user.phone.as_e164[-4:]
    )
    assert event.data["kind"] == "messaging_test"
    # The provider's error quoted the full number: only its masked form is kept anywhere.
    for kept in (message.last_error, json.dumps(event.data, ensure_ascii=False)):
        assert user.phone.as_e164 not in kept
        assert user.phone.as_e164.lstrip("+") not in kept
        assert "****" in kept
    outbox_sweep()
    assert len(provider.requests) == 1  # never retried


@pytest.mark.parametrize("failure", ["throttled", "server_error"])
def test_throttling_and_server_errors_are_retried_then_sent(
    provider, failure, user, deliver_on_commit, clock
):
    provider.script.append(getattr(provider, failure)())
    message = _send(user, deliver_on_commit)
    assert message.status == Status.QUEUED
    assert message.attempts == 1
    assert message.next_attempt_at > clock.now()
    assert message.last_error
    clock.advance(minutes=2)
    with deliver_on_commit():
        outbox_sweep()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2
    assert len(provider.requests) == 2


def test_wrong_credentials_are_refused_by_the_provider_and_retried(
    provider, settings, user, deliver_on_commit
):
    for name in ("SMS_WEBHOOK_SECRET", "SMS_TWILIO_AUTH_TOKEN", "SMS_ALIYUN_ACCESS_KEY_SECRET"):
        if getattr(settings, name, ""):
            setattr(settings, name, "wrong-secret")
    message = _send(user, deliver_on_commit)
    assert len(provider.refused) == 1
    assert provider.requests == []
    assert message.status == Status.QUEUED
    assert message.attempts == 1


def test_webhook_request_is_signed_json_with_idempotency_key(
    webhook_gateway, user, deliver_on_commit
):
    message = _send(user, deliver_on_commit)
    seen = webhook_gateway.requests[0]
    payload = seen.json()
    assert payload["id"] == str(message.reference)
    assert seen.headers["idempotency-key"] == str(message.reference)
    assert payload["to"] == user.phone.as_e164
    assert payload["kind"] == "messaging_test"
    assert seen.headers["x-portal-signature"].startswith("sha256=")
    assert message.provider_message_id == "gw-1"


def test_webhook_retry_after_is_honoured(webhook_gateway, user, deliver_on_commit, clock):
    webhook_gateway.script.append(webhook_gateway.throttled(retry_after=90))
    message = _send(user, deliver_on_commit)
    assert (message.next_attempt_at - clock.now()).total_seconds() >= 90


def test_webhook_verify_refuses_stale_or_forged_requests():
    body = b'{"to":"+8613800000000"}'
    sig = webhook_signature(secret="s", timestamp="1000", body=body)
    assert webhook_verify(secret="s", timestamp="1000", body=body, signature=sig, now=1100)
    assert not webhook_verify(secret="s", timestamp="1000", body=body, signature=sig, now=1400)
    assert not webhook_verify(secret="t", timestamp="1000", body=body, signature=sig, now=1100)
    assert not webhook_verify(
        secret="s", timestamp="1000", body=body + b" ", signature=sig, now=1000
    )
    assert not webhook_verify(secret="s", timestamp="x", body=body, signature=sig, now=1000)


def test_twilio_request_shape(twilio_api, user, deliver_on_commit):
    message = _send(user, deliver_on_commit)
    seen = twilio_api.requests[0]
    assert seen.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    form = seen.form()
    assert form["To"] == user.phone.as_e164
    assert form["From"] == "+15005550006"
    assert "N" in form["Body"]
    assert (
        base64.b64decode(seen.headers["authorization"].split()[1]).decode().startswith(TWILIO_SID)
    )
    assert message.provider_message_id.startswith("SM")


def test_twilio_messaging_service_instead_of_from(twilio_api, settings, user, deliver_on_commit):
    settings.SMS_TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    _send(user, deliver_on_commit)
    form = twilio_api.requests[0].form()
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in form


def test_aliyun_sends_the_registered_template_with_its_parameters(
    aliyun_api, user, deliver_on_commit
):
    message = _send(user, deliver_on_commit)
    form = aliyun_api.requests[0].form()
    assert form["PhoneNumbers"] == str(user.phone.national_number)  # mainland: no +86
    assert form["SignName"] == "账户门户"
    assert form["TemplateCode"] == "SMS_100001"
    assert json.loads(form["TemplateParam"]) == {"note": "N"}
    assert form["OutId"] == str(message.reference)
    assert message.provider_message_id.endswith("^0")


def test_aliyun_kind_without_template_uses_the_default_or_fails(
    aliyun_api, settings, user, deliver_on_commit
):
    settings.SMS_ALIYUN_TEMPLATES = {}
    message = _send(user, deliver_on_commit)
    assert message.status == Status.FAILED
    assert "no template" in message.last_error
    assert aliyun_api.requests == []
    settings.SMS_ALIYUN_DEFAULT_TEMPLATE = "SMS_900000"
    message = _send(user, deliver_on_commit)
    assert message.status == Status.SENT
    form = aliyun_api.requests[0].form()
    assert form["TemplateCode"] == "SMS_900000"
    assert json.loads(form["TemplateParam"])["content"].startswith("【")


def test_aliyun_signature_matches_the_documented_example():
    # Alibaba Cloud's published RPC signature example (AccessKeySecret "testsecret").
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun.string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26"
    )
    assert aliyun.sign(method="GET", params=params, secret="testsecret") == (
        "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    )


def test_aliyun_percent_encoding_follows_rfc3986():
    assert aliyun.percent_encode("a b*c~d/e+f") == "a%20b%2Ac~d%2Fe%2Bf"
    assert aliyun.percent_encode("账") == "%E8%B4%A6"


def test_unreachable_provider_is_transient(settings, user, deliver_on_commit):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings.SMS_BACKEND = "webhook"
    settings.SMS_WEBHOOK_URL = f"http://127.0.0.1:{dead}/"
    settings.SMS_WEBHOOK_SECRET = "s"
    message = _send(user, deliver_on_commit)
    assert message.status == Status.QUEUED
    assert "unreachable" in message.last_error


def test_unconfigured_provider_keeps_the_message_queued(settings, user, deliver_on_commit):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_TWILIO_ACCOUNT_SID = ""
    message = _send(user, deliver_on_commit)
    assert message.status == Status.QUEUED
    assert "not configured" in message.last_error
