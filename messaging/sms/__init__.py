"""SMS backends, chosen by ``SMS_BACKEND`` like Django's email backends.

``console``, ``file`` (``SMS_FILE_PATH``, one JSON line per message), ``locmem`` (tests: messages
land in ``messaging.sms.outbox``), and the real providers ``webhook``, ``twilio`` and ``aliyun``.
A dotted path to a ``BaseSmsBackend`` subclass works too. ``send`` returns the provider's message
id or raises ``TransientDeliveryError`` / ``PermanentDeliveryError``.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from messaging.sms.base import BaseSmsBackend, SmsMessage

# Like django.core.mail.outbox: the locmem backend appends here; cleared in place between tests.
outbox: list[SmsMessage] = []

ALIASES = {
    "console": "messaging.sms.console.ConsoleBackend",
    "file": "messaging.sms.filebased.FileBackend",
    "locmem": "messaging.sms.locmem.LocmemBackend",
    "webhook": "messaging.sms.webhook.WebhookBackend",
    "twilio": "messaging.sms.twilio.TwilioBackend",
    "aliyun": "messaging.sms.aliyun.AliyunBackend",
}


def backend_path(name: str | None = None) -> str:
    name = name or settings.SMS_BACKEND
    return ALIASES.get(name, name)


def get_backend(name: str | None = None, **kwargs) -> BaseSmsBackend:
    return import_string(backend_path(name))(**kwargs)


__all__ = ["ALIASES", "BaseSmsBackend", "SmsMessage", "get_backend", "outbox"]
