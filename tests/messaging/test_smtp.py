"""Email through a real SMTP server on loopback (aiosmtpd), read back from what it received."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from messaging.models import OutboxMessage
from messaging.services import messaging_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Status = OutboxMessage.Status


class Collector:
    def __init__(self) -> None:
        self.received = []
        self.rcpt_reply: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(settings):
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    yield collector
    controller.stop()


def _send(user, deliver_on_commit, **kwargs) -> OutboxMessage:
    with deliver_on_commit():
        message = messaging_send(
            channel="email", kind="messaging_test", context={"note": "Z-42"}, to_user=user, **kwargs
        )
    message.refresh_from_db()
    return message


def test_email_is_delivered_over_smtp_and_reads_back(smtp, deliver_on_commit):
    user = UserFactory(email="li.na@corp.example.cn", language="zh-hans")
    message = _send(user, deliver_on_commit)
    assert message.status == Status.SENT
    assert len(smtp.received) == 1
    envelope = smtp.received[0]
    assert envelope.rcpt_tos == ["li.na@corp.example.cn"]
    parsed = message_from_bytes(envelope.content, policy=policy.default)
    assert parsed["To"] == "li.na@corp.example.cn"
    assert parsed["Subject"] == "来自账户服务门户的测试消息"
    assert parsed["Message-ID"] == f"<{message.reference}@portal.example.cn>"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed["Content-Language"] == "zh-hans"
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert "这是一条测试消息" in text and "Z-42" in text
    assert "<!-- messages-footer -->" in html and "Z-42" in html
    assert message.provider_message_id == f"{message.reference}@portal.example.cn"


def test_recipient_refused_permanently_fails(smtp, user, deliver_on_commit):
    smtp.rcpt_reply = "550 5.1.1 <zhang.wei@corp.example.cn>: no such user"
    message = _send(user, deliver_on_commit)
    assert message.status == Status.FAILED
    assert "550" in message.last_error
    assert smtp.received == []


def test_recipient_deferred_is_retried(smtp, user, deliver_on_commit, clock):
    smtp.rcpt_reply = "451 4.7.1 greylisted, try again later"
    message = _send(user, deliver_on_commit)
    assert message.status == Status.QUEUED
    assert "451" in message.last_error
    smtp.rcpt_reply = None
    clock.advance(minutes=2)
    from messaging.services import outbox_sweep

    with deliver_on_commit():
        outbox_sweep()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.received) == 1


def test_smtp_server_down_is_retried(settings, user, deliver_on_commit):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_USE_TLS = False
    message = _send(user, deliver_on_commit)
    assert message.status == Status.QUEUED
    assert "unreachable" in message.last_error
