"""In-house SMS gateway: a JSON POST signed with HMAC-SHA256.

Request body (UTF-8 JSON): ``{"id", "to", "body", "kind", "language"}``; ``id`` is the outbox
reference, also sent as ``Idempotency-Key`` so the gateway can drop a repeat. Headers:
``X-Portal-Timestamp`` (Unix seconds) and ``X-Portal-Signature: sha256=<hex>``, the HMAC-SHA256
of ``<timestamp>.<raw body>`` with ``SMS_WEBHOOK_SECRET``. The gateway should refuse timestamps
more than 5 minutes off and compare signatures in constant time (``webhook_verify`` does both).

Replies: 2xx (optionally ``{"id": "<gateway id>"}``) is sent; 408, 425, 429 and 5xx are retried
(``Retry-After`` honoured); any other 4xx fails the message. Error bodies may be
``{"error": {"code": "...", "message": "..."}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.sms import http
from messaging.sms.base import BaseSmsBackend, SmsMessage

TIMESTAMP_HEADER = "X-Portal-Timestamp"
SIGNATURE_HEADER = "X-Portal-Signature"
MAX_SKEW_SECONDS = 300
RETRY_STATUSES = {408, 425, 429}


def webhook_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def webhook_verify(
    *, secret: str, timestamp: str, body: bytes, signature: str, now: float | None = None
) -> bool:
    """What the gateway runs: fresh timestamp and a matching signature (constant time)."""
    try:
        skew = abs((now if now is not None else time.time()) - int(timestamp))
    except (TypeError, ValueError):
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return skew <= MAX_SKEW_SECONDS and hmac.compare_digest(expected, signature or "")


class WebhookBackend(BaseSmsBackend):
    @classmethod
    def check_config(cls) -> list[str]:
        return [n for n in ("SMS_WEBHOOK_URL", "SMS_WEBHOOK_SECRET") if not conf.get(n)]

    def send(self, message: SmsMessage) -> str:
        missing = self.check_config()
        if missing:
            raise TransientDeliveryError(f"webhook: not configured ({', '.join(missing)})")
        body = json.dumps(
            {
                "id": message.reference,
                "to": message.to,
                "body": message.body,
                "kind": message.kind,
                "language": message.language,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode()
        timestamp = str(int(time.time()))
        reply = http.post(
            conf.get("SMS_WEBHOOK_URL"),
            data=body,
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "account-portal-sms/1",
                "Idempotency-Key": message.reference,
                TIMESTAMP_HEADER: timestamp,
                SIGNATURE_HEADER: webhook_signature(
                    secret=conf.get("SMS_WEBHOOK_SECRET"), timestamp=timestamp, body=body
                ),
            },
            provider="webhook",
        )
        if 200 <= reply.status < 300:
            data = reply.json()
            return str(data.get("id") or data.get("message_id") or message.reference)[:128]
        error = reply.json().get("error")
        detail = ""
        if isinstance(error, dict):
            detail = f" {error.get('code', '')}: {error.get('message', '')}".rstrip(": ")
        text = f"webhook: HTTP {reply.status}{detail}"
        if reply.status in RETRY_STATUSES or reply.status >= 500:
            raise TransientDeliveryError(text, retry_after=reply.retry_after())
        if reply.status in {401, 403}:
            # Our secret and the gateway's disagree: an operator fixes it; keep retrying.
            raise TransientDeliveryError(text + " (check SMS_WEBHOOK_SECRET)")
        raise PermanentDeliveryError(text)
