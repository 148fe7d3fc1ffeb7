"""Keeps each SMS in ``messaging.sms.outbox`` (tests), like Django's locmem email backend."""

from __future__ import annotations

import copy

from messaging import sms
from messaging.sms.base import BaseSmsBackend, SmsMessage


class LocmemBackend(BaseSmsBackend):
    def send(self, message: SmsMessage) -> str:
        sms.outbox.append(copy.deepcopy(message))
        return f"locmem-{message.reference}"
