"""Twilio Programmable Messaging: ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``
(form-encoded ``To``, ``Body`` and ``From`` or ``MessagingServiceSid``), HTTP basic auth with the
Account SID and Auth Token. A 201 reply carries the message ``sid``.

Errors are JSON ``{"code", "message", "more_info", "status"}``: 429 (code 20429) and 5xx are
retried, 401 (20003, wrong credentials) is retried so an operator can fix it, any other 4xx
(e.g. 21211 invalid 'To' number, 21610 unsubscribed, 21408 region not enabled) fails.
"""

from __future__ import annotations

import base64
from urllib.parse import quote, urlencode

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.sms import http
from messaging.sms.base import BaseSmsBackend, SmsMessage


class TwilioBackend(BaseSmsBackend):
    @classmethod
    def check_config(cls) -> list[str]:
        missing = [
            n for n in ("SMS_TWILIO_ACCOUNT_SID", "SMS_TWILIO_AUTH_TOKEN") if not conf.get(n)
        ]
        if not (conf.get("SMS_TWILIO_FROM") or conf.get("SMS_TWILIO_MESSAGING_SERVICE_SID")):
            missing.append("SMS_TWILIO_FROM")
        return missing

    def send(self, message: SmsMessage) -> str:
        missing = self.check_config()
        if missing:
            raise TransientDeliveryError(f"twilio: not configured ({', '.join(missing)})")
        sid = conf.get("SMS_TWILIO_ACCOUNT_SID")
        token = conf.get("SMS_TWILIO_AUTH_TOKEN")
        form = {"To": message.to, "Body": message.body}
        if conf.get("SMS_TWILIO_MESSAGING_SERVICE_SID"):
            form["MessagingServiceSid"] = conf.get("SMS_TWILIO_MESSAGING_SERVICE_SID")
        else:
            form["From"] = conf.get("SMS_TWILIO_FROM")
        url = (
            conf.get("SMS_TWILIO_API_BASE").rstrip("/")
            + f"/2010-04-01/Accounts/{quote(sid, safe='')}/Messages.json"
        )
        credentials = base64.b64encode(f"{sid}:{token}".encode()).decode()
        reply = http.post(
            url,
            data=urlencode(form).encode(),
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "account-portal-sms/1",
            },
            provider="twilio",
        )
        data = reply.json()
        if 200 <= reply.status < 300 and data.get("sid"):
            return str(data["sid"])[:128]
        code = data.get("code")
        text = f"twilio: HTTP {reply.status} code {code}: {str(data.get('message', ''))[:200]}"
        if reply.status == 429 or code == 20429 or reply.status >= 500:
            raise TransientDeliveryError(text, retry_after=reply.retry_after())
        if reply.status == 401:
            raise TransientDeliveryError(text + " (check the Twilio credentials)")
        if 200 <= reply.status < 300:
            raise TransientDeliveryError(f"twilio: HTTP {reply.status} without a message sid")
        raise PermanentDeliveryError(text)
