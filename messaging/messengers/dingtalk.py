"""DingTalk (钉钉): the work notification to one user and the custom robot.

- Token: ``GET /gettoken?appkey=&appsecret=`` → ``{"errcode": 0, "access_token",
  "expires_in": 7200}``.
- Work notification: ``POST /topapi/message/corpconversation/asyncsend_v2?access_token=`` with
  ``agent_id``, ``userid_list`` and ``msg: {"msgtype": "text", "text": {"content"}}`` →
  ``{"errcode": 0, "task_id", "request_id"}``. It is asynchronous: DingTalk may accept an
  unknown user id and drop it later (docs/messengers.md).
- Custom robot: ``POST /robot/send?access_token=&timestamp=&sign=``; ``timestamp`` in
  milliseconds, ``sign`` the URL-encoded Base64 of HMAC-SHA256 keyed with the secret over
  ``timestamp + "\\n" + secret``. Refused: 310000 (sign not match, timestamp more than an hour
  off, IP or keyword), 300001 (no such token); past 20 a minute: 130101 and the robot is
  throttled for 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote_plus, urlencode

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.messengers import http, tokens
from messaging.messengers.errors import Throttled, TokenRejected

PROVIDER = "DingTalk"
TEXT_MAX_BYTES = 2048  # kept as WeCom's: DingTalk documents no exact cap (docs/messengers.md)
ROBOT_TEXT_MAX_BYTES = 2048
TOKEN_ERRORS = {40014, 42001, 88}
RATE_ERRORS = {90018, 90006, 90005, 41047, 41048}
UNKNOWN_USER = {33012, 60121}  # invalid userid; no such user
ROBOT_TOO_FAST = 130101
ROBOT_PERMANENT = {300001, 400101, 400102}  # token does not exist; robot off / stopped
ROBOT_SIGN = 310000
ROBOT_PAUSE_SECONDS = 600


def _base() -> str:
    return str(conf.get("MESSENGER_DINGTALK_API_BASE")).rstrip("/")


def missing_settings() -> list[str]:
    names = [
        "MESSENGER_DINGTALK_APP_KEY",
        "MESSENGER_DINGTALK_APP_SECRET",
        "MESSENGER_DINGTALK_AGENT_ID",
    ]
    return [name for name in names if not conf.get(name)]


def robot_sign(*, secret: str, timestamp_ms: int) -> str:
    """DingTalk's robot signature (URL-encoded): key the secret, message the stamp and secret."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode("ascii"))


def _fetch() -> tuple[str, int]:
    query = urlencode(
        {
            "appkey": conf.get("MESSENGER_DINGTALK_APP_KEY"),
            "appsecret": conf.get("MESSENGER_DINGTALK_APP_SECRET"),
        }
    )
    answer = http.call("GET", f"{_base()}/gettoken?{query}", provider=PROVIDER)
    code = answer.number("errcode")
    if code == 0 and answer.data.get("access_token"):
        return str(answer.data["access_token"]), int(answer.data.get("expires_in") or 7200)
    if code in RATE_ERRORS:
        raise Throttled(f"{PROVIDER} gettoken: errcode {code}", retry_after=60)
    raise TransientDeliveryError(f"{PROVIDER} gettoken: errcode {code} (HTTP {answer.status})")


def app_send(*, to: str, text: str, reference: str) -> str:
    """A work notification to the user ``to``; returns DingTalk's ``task_id``."""
    missing = missing_settings()
    if missing:
        raise TransientDeliveryError(f"{PROVIDER}: not configured ({', '.join(missing)})")
    body = {
        "agent_id": int(conf.get("MESSENGER_DINGTALK_AGENT_ID")),
        "userid_list": to,
        "msg": {"msgtype": "text", "text": {"content": text}},
    }

    def send(token: str) -> str:
        path = "/topapi/message/corpconversation/asyncsend_v2"
        url = f"{_base()}{path}?{urlencode({'access_token': token})}"
        answer = http.call("POST", url, provider=PROVIDER, body=body)
        code = answer.number("errcode")
        if code == 0:
            return f"dingtalk-task-{answer.data.get('task_id', '')}"
        if code in TOKEN_ERRORS:
            raise TokenRejected(f"{PROVIDER} message: access token refused (errcode {code})")
        if code in RATE_ERRORS:
            raise Throttled(f"{PROVIDER} message: rate limited (errcode {code})", retry_after=60)
        if code in UNKNOWN_USER:
            raise PermanentDeliveryError(f"{PROVIDER} message: unknown user (errcode {code})")
        raise TransientDeliveryError(f"{PROVIDER} message: errcode {code} (HTTP {answer.status})")

    app = str(conf.get("MESSENGER_DINGTALK_APP_KEY"))
    return tokens.with_token(provider="dingtalk", app=app, fetch=_fetch, send=send)


def robot_send(*, url: str, secret: str, text: str, reference: str) -> str:
    """A text message to a custom robot, signed when it has a secret. A 130101 answer raises
    ``Throttled`` with the 10 minutes DingTalk holds the robot (the caller pauses it)."""
    if secret:
        stamp = int(time.time() * 1000)
        joiner = "&" if "?" in url else "?"
        url = f"{url}{joiner}timestamp={stamp}&sign={robot_sign(secret=secret, timestamp_ms=stamp)}"
    body = {"msgtype": "text", "text": {"content": text}}
    answer = http.call("POST", url, provider=PROVIDER, body=body)
    code = answer.number("errcode")
    if code == 0:
        return f"dingtalk-robot-{reference}"
    if code == ROBOT_TOO_FAST:
        raise Throttled(
            f"{PROVIDER} robot: send too fast (errcode {code})", retry_after=ROBOT_PAUSE_SECONDS
        )
    if code == ROBOT_SIGN:
        # A wrong secret or a clock an hour off: an operator fixes it; keep the message.
        raise TransientDeliveryError(f"{PROVIDER} robot: refused (errcode {code}, sign or IP)")
    if code in ROBOT_PERMANENT:
        raise PermanentDeliveryError(f"{PROVIDER} robot: refused (errcode {code})")
    raise TransientDeliveryError(f"{PROVIDER} robot: errcode {code} (HTTP {answer.status})")
