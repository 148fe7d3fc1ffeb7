"""Feishu (飞书): the app message to one user and the custom bot.

- Token: ``POST /open-apis/auth/v3/tenant_access_token/internal`` with ``app_id`` and
  ``app_secret`` → ``{"code": 0, "tenant_access_token", "expire": 7200}``.
- App message: ``POST /open-apis/im/v1/messages?receive_id_type=user_id`` with
  ``Authorization: Bearer <tenant_access_token>`` and ``receive_id``, ``msg_type: text``,
  ``content`` (a JSON string ``{"text": ...}``), ``uuid`` (Feishu folds a repeat of one uuid
  within an hour away) → ``{"code": 0, "data": {"message_id"}}``. Throttled: HTTP 429 with
  ``code`` 99991400 (and ``x-ogw-ratelimit-reset``) or 230020.
- Custom bot: ``POST /open-apis/bot/v2/hook/<id>`` with ``timestamp`` in seconds and ``sign``
  the Base64 of HMAC-SHA256 keyed with ``timestamp + "\\n" + secret`` over an empty message (the
  roles are the reverse of DingTalk's). Refused: 19021 (sign or timestamp), 19022 (IP), 19024
  (keyword); throttled (100 a minute, 5 a second): 11232 or 9499; the body at most 20 KB.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.messengers import http, tokens
from messaging.messengers.errors import Throttled, TokenRejected

PROVIDER = "Feishu"
BODY_MAX_BYTES = 20 * 1024
TEXT_MAX_BYTES = 20 * 1024 - 512  # the rest of the body is the envelope
ROBOT_TEXT_MAX_BYTES = TEXT_MAX_BYTES
TOKEN_ERRORS = {99991663, 99991664, 99991661}
RATE_ERRORS = {99991400, 230020}
UNKNOWN_USER = {230013, 99992361, 99992364}  # not available to the bot; id of another app
BOT_RATE_ERRORS = {11232, 11233, 9499}
BOT_SIGN_ERRORS = {19021, 19022, 19024}
BOT_PERMANENT = {19001}  # param invalid: incoming webhook access token invalid


def _base() -> str:
    return str(conf.get("MESSENGER_FEISHU_API_BASE")).rstrip("/")


def missing_settings() -> list[str]:
    names = ["MESSENGER_FEISHU_APP_ID", "MESSENGER_FEISHU_APP_SECRET"]
    return [name for name in names if not conf.get(name)]


def bot_sign(*, secret: str, timestamp: int) -> str:
    """Feishu's bot signature: the stamp and secret are the key, the message is empty."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def _wait(answer: http.Answer) -> float:
    reset = answer.headers.get("x-ogw-ratelimit-reset", "")
    return float(reset) if reset.isdigit() and int(reset) > 0 else 1.0


def _fetch() -> tuple[str, int]:
    body = {
        "app_id": conf.get("MESSENGER_FEISHU_APP_ID"),
        "app_secret": conf.get("MESSENGER_FEISHU_APP_SECRET"),
    }
    url = f"{_base()}/open-apis/auth/v3/tenant_access_token/internal"
    answer = http.call("POST", url, provider=PROVIDER, body=body)
    code = answer.number("code")
    if code == 0 and answer.data.get("tenant_access_token"):
        return str(answer.data["tenant_access_token"]), int(answer.data.get("expire") or 7200)
    if code in RATE_ERRORS or answer.status == 429:
        raise Throttled(f"{PROVIDER} token: code {code}", retry_after=_wait(answer))
    raise TransientDeliveryError(f"{PROVIDER} token: code {code} (HTTP {answer.status})")


def app_send(*, to: str, text: str, reference: str) -> str:
    """A text message from the app's bot to the user ``to`` (a ``user_id``)."""
    missing = missing_settings()
    if missing:
        raise TransientDeliveryError(f"{PROVIDER}: not configured ({', '.join(missing)})")
    body = {
        "receive_id": to,
        "msg_type": "text",
        "content": json.dumps({"text": text}, ensure_ascii=False),
        "uuid": reference,
    }

    def send(token: str) -> str:
        url = f"{_base()}/open-apis/im/v1/messages?{urlencode({'receive_id_type': 'user_id'})}"
        headers = {"Authorization": f"Bearer {token}"}
        answer = http.call("POST", url, provider=PROVIDER, body=body, headers=headers)
        code = answer.number("code")
        if code == 0:
            return str((answer.data.get("data") or {}).get("message_id") or "feishu-ok")
        if code in TOKEN_ERRORS:
            raise TokenRejected(f"{PROVIDER} message: access token refused (code {code})")
        if code in RATE_ERRORS or answer.status == 429:
            raise Throttled(
                f"{PROVIDER} message: rate limited (code {code})", retry_after=_wait(answer)
            )
        if code in UNKNOWN_USER:
            raise PermanentDeliveryError(f"{PROVIDER} message: unknown user (code {code})")
        if answer.status >= 500 or code is None:
            raise TransientDeliveryError(f"{PROVIDER} message: HTTP {answer.status}")
        raise PermanentDeliveryError(f"{PROVIDER} message: refused (code {code})")

    app = str(conf.get("MESSENGER_FEISHU_APP_ID"))
    return tokens.with_token(provider="feishu", app=app, fetch=_fetch, send=send)


def robot_send(*, url: str, secret: str, text: str, reference: str) -> str:
    body: dict = {"msg_type": "text", "content": {"text": text}}
    if secret:
        stamp = int(time.time())
        body = {"timestamp": str(stamp), "sign": bot_sign(secret=secret, timestamp=stamp), **body}
    answer = http.call("POST", url, provider=PROVIDER, body=body)
    code = answer.number("code")
    if code is None:
        code = answer.number("StatusCode")  # the bot's older answer shape
    if code == 0:
        return f"feishu-bot-{reference}"
    if code in BOT_RATE_ERRORS or answer.status == 429:
        raise Throttled(f"{PROVIDER} bot: rate limited (code {code})", retry_after=60)
    if code in BOT_SIGN_ERRORS:
        raise TransientDeliveryError(f"{PROVIDER} bot: refused (code {code}, sign, IP or keyword)")
    if code in BOT_PERMANENT:
        raise PermanentDeliveryError(f"{PROVIDER} bot: refused (code {code})")
    raise TransientDeliveryError(f"{PROVIDER} bot: code {code} (HTTP {answer.status})")
