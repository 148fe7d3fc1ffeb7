"""Appends one JSON line per SMS to ``SMS_FILE_PATH`` (demos and tests across processes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from messaging.errors import TransientDeliveryError
from messaging.sms.base import BaseSmsBackend, SmsMessage


class FileBackend(BaseSmsBackend):
    def __init__(self, *, path: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, message: SmsMessage) -> str:
        line = json.dumps(
            {
                "at": timezone.now().isoformat(),
                "reference": message.reference,
                "to": message.to,
                "kind": message.kind,
                "language": message.language,
                "body": message.body,
            },
            ensure_ascii=False,
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # One write() on an O_APPEND descriptor: lines from several workers never interleave.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)
        except OSError as exc:
            raise TransientDeliveryError(f"cannot write {self.path}: {exc.strerror}") from exc
        return f"file-{message.reference}"
