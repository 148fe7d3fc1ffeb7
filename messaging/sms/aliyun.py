"""Alibaba Cloud SMS ``SendSms`` (API version 2017-05-25) with the RPC request signature.

Signature (SignatureVersion 1.0): sort every parameter by name, percent-encode names and values
(RFC 3986: only ``A-Z a-z 0-9 - _ . ~`` stay literal, UTF-8), join as ``k=v&...``; the string to
sign is ``POST&%2F&`` + that string percent-encoded again; the signature is
``base64(HMAC-SHA1(AccessKeySecret + "&", string_to_sign))``.

Alibaba Cloud sends only registered templates: ``SMS_ALIYUN_TEMPLATES`` maps our message kind to
a ``TemplateCode``, filled with the message's plain context values (``TemplateParam``). A kind
without a mapping uses ``SMS_ALIYUN_DEFAULT_TEMPLATE`` with ``{"content": <our body>}``.

Replies are JSON ``{"Code", "Message", "BizId", "RequestId"}``; ``Code == "OK"`` is sent.
Flow control (``isv.BUSINESS_LIMIT_CONTROL``, ``Throttling*``), system errors (``isp.*``,
HTTP 5xx) and credential errors (an operator fixes them) are retried; anything else, such as
``isv.MOBILE_NUMBER_ILLEGAL``, fails.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import phonenumbers

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.sms import http
from messaging.sms.base import BaseSmsBackend, SmsMessage

API_VERSION = "2017-05-25"
TRANSIENT_CODES = {
    "isv.BUSINESS_LIMIT_CONTROL",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
    "ServiceUnavailable",
    "InternalError",
    "SignatureNonceUsed",
    "SignatureDoesNotMatch",
    "InvalidAccessKeyId.NotFound",
    "InvalidAccessKeyId.Inactive",
    "InvalidTimeStamp.Expired",
}


def percent_encode(value: str) -> str:
    return quote(str(value), safe="~")


def canonical_query(params: dict[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, params: dict[str, str]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def sign(*, method: str, params: dict[str, str], secret: str) -> str:
    mac = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def phone_for_aliyun(e164: str) -> str:
    """Mainland numbers without a prefix, others as country code + number (no ``+``)."""
    number = phonenumbers.parse(e164, None)
    if number.country_code == 86:
        return str(number.national_number)
    return f"{number.country_code}{number.national_number}"


def _is_transient(code: str) -> bool:
    return code in TRANSIENT_CODES or code.startswith(("isp.", "Throttling"))


class AliyunBackend(BaseSmsBackend):
    @classmethod
    def check_config(cls) -> list[str]:
        names = ("SMS_ALIYUN_ACCESS_KEY_ID", "SMS_ALIYUN_ACCESS_KEY_SECRET", "SMS_ALIYUN_SIGN_NAME")
        return [n for n in names if not conf.get(n)]

    def _template(self, message: SmsMessage) -> tuple[str, dict]:
        templates = conf.get("SMS_ALIYUN_TEMPLATES") or {}
        if message.kind in templates:
            return templates[message.kind], dict(message.params)
        if conf.get("SMS_ALIYUN_DEFAULT_TEMPLATE"):
            return conf.get("SMS_ALIYUN_DEFAULT_TEMPLATE"), {"content": message.body}
        raise PermanentDeliveryError(f"aliyun: no template for message kind {message.kind!r}")

    def send(self, message: SmsMessage) -> str:
        missing = self.check_config()
        if missing:
            raise TransientDeliveryError(f"aliyun: not configured ({', '.join(missing)})")
        template_code, template_param = self._template(message)
        params = {
            "AccessKeyId": conf.get("SMS_ALIYUN_ACCESS_KEY_ID"),
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": conf.get("SMS_ALIYUN_REGION_ID"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION,
            "PhoneNumbers": phone_for_aliyun(message.to),
            "SignName": conf.get("SMS_ALIYUN_SIGN_NAME"),
            "TemplateCode": template_code,
            "TemplateParam": json.dumps(template_param, ensure_ascii=False, separators=(",", ":")),
            "OutId": message.reference,
        }
        params["Signature"] = sign(
            method="POST", params=params, secret=conf.get("SMS_ALIYUN_ACCESS_KEY_SECRET")
        )
        reply = http.post(
            conf.get("SMS_ALIYUN_ENDPOINT").rstrip("/") + "/",
            data=urlencode(params, quote_via=quote).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
                "User-Agent": "account-portal-sms/1",
            },
            provider="aliyun",
        )
        data = reply.json()
        code = str(data.get("Code", ""))
        if reply.status == 200 and code == "OK":
            return str(data.get("BizId") or data.get("RequestId") or message.reference)[:128]
        text = (
            f"aliyun: HTTP {reply.status} {code or 'no code'}: {str(data.get('Message', ''))[:200]}"
        )
        if reply.status >= 500 or reply.status == 429 or _is_transient(code):
            raise TransientDeliveryError(text, retry_after=reply.retry_after())
        raise PermanentDeliveryError(text)
