"""Prints each SMS to standard output (local development only: the body holds codes)."""

from __future__ import annotations

import sys
import threading

from messaging.sms.base import BaseSmsBackend, SmsMessage

_lock = threading.Lock()


class ConsoleBackend(BaseSmsBackend):
    def __init__(self, *, stream=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout

    def send(self, message: SmsMessage) -> str:
        with _lock:
            self.stream.write(
                f"-------- SMS to {message.to} ({message.kind}) --------\n{message.body}\n"
                + "-" * 60
                + "\n"
            )
            self.stream.flush()
        return f"console-{message.reference}"
