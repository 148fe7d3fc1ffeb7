"""WeCom (企业微信): the application message to one member and the group robot.

- Token: ``GET /cgi-bin/gettoken?corpid=&corpsecret=`` → ``{"errcode": 0, "access_token",
  "expires_in": 7200}``.
- Application message: ``POST /cgi-bin/message/send?access_token=`` with ``touser``,
  ``msgtype: text``, ``agentid``, ``text.content`` (at most 2048 bytes), ``safe: 0``,
  ``enable_duplicate_check: 1`` and ``duplicate_check_interval`` (a resend of one outbox row
  within it is folded away by WeCom). An unknown member: ``errcode`` 81013 with the id in
  ``invaliduser`` (or 0 with ``invaliduser`` set when others were valid).
- Group robot: ``POST /cgi-bin/webhook/send?key=`` (the key is the secret) with
  ``msgtype: text``; 20 messages a minute per robot.
"""

from __future__ import annotations

from urllib.parse import urlencode

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.messengers import http, tokens
from messaging.messengers.errors import Throttled, TokenRejected

PROVIDER = "WeCom"
TEXT_MAX_BYTES = 2048
ROBOT_TEXT_MAX_BYTES = 2048
TOKEN_ERRORS = {40014, 42001, 41001}
RATE_ERRORS = {45009, 45033}  # api freq out of limit; api concurrent out of limit
UNKNOWN_USER = {60111, 81013}  # userid not found; user & party & tag all invalid
PERMANENT = {40003, 40008, 44004, 45002, 40058, 93000}  # bad id, type, empty, too long, URL
DUPLICATE_CHECK_SECONDS = 1800


def _base() -> str:
    return str(conf.get("MESSENGER_WECOM_API_BASE")).rstrip("/")


def missing_settings() -> list[str]:
    names = ["MESSENGER_WECOM_CORP_ID", "MESSENGER_WECOM_AGENT_ID", "MESSENGER_WECOM_SECRET"]
    return [name for name in names if not conf.get(name)]


def _fetch() -> tuple[str, int]:
    query = urlencode(
        {
            "corpid": conf.get("MESSENGER_WECOM_CORP_ID"),
            "corpsecret": conf.get("MESSENGER_WECOM_SECRET"),
        }
    )
    answer = http.call("GET", f"{_base()}/cgi-bin/gettoken?{query}", provider=PROVIDER)
    code = answer.number("errcode")
    if code == 0 and answer.data.get("access_token"):
        return str(answer.data["access_token"]), int(answer.data.get("expires_in") or 7200)
    if code in RATE_ERRORS:
        raise Throttled(f"{PROVIDER} gettoken: errcode {code}", retry_after=60)
    # 40013 bad corp id, 40001 bad secret, 60020 not from an allowed IP: an operator fixes
    # these, so the message waits for the next attempts.
    raise TransientDeliveryError(f"{PROVIDER} gettoken: errcode {code} ({answer.status})")


def _read(answer: http.Answer, *, what: str, recipient: str = "") -> str:
    code = answer.number("errcode")
    if code == 0:
        invalid = str(answer.data.get("invaliduser") or "")
        if recipient and recipient in invalid.split("|"):
            raise PermanentDeliveryError(f"{PROVIDER} {what}: unknown member (invaliduser)")
        return str(answer.data.get("msgid") or "wecom-ok")
    if code in TOKEN_ERRORS:
        raise TokenRejected(f"{PROVIDER} {what}: access token refused (errcode {code})")
    if code in RATE_ERRORS:
        raise Throttled(f"{PROVIDER} {what}: rate limited (errcode {code})", retry_after=60)
    if code in UNKNOWN_USER:
        raise PermanentDeliveryError(f"{PROVIDER} {what}: unknown member (errcode {code})")
    if code in PERMANENT:
        raise PermanentDeliveryError(f"{PROVIDER} {what}: refused (errcode {code})")
    raise TransientDeliveryError(f"{PROVIDER} {what}: errcode {code} (HTTP {answer.status})")


def app_send(*, to: str, text: str, reference: str) -> str:
    """One text message from the app to the member ``to``; returns WeCom's ``msgid``."""
    missing = missing_settings()
    if missing:
        raise TransientDeliveryError(f"{PROVIDER}: not configured ({', '.join(missing)})")
    body = {
        "touser": to,
        "msgtype": "text",
        "agentid": int(conf.get("MESSENGER_WECOM_AGENT_ID")),
        "text": {"content": text},
        "safe": 0,
        "enable_duplicate_check": 1,
        "duplicate_check_interval": DUPLICATE_CHECK_SECONDS,
    }

    def send(token: str) -> str:
        url = f"{_base()}/cgi-bin/message/send?{urlencode({'access_token': token})}"
        return _read(
            http.call("POST", url, provider=PROVIDER, body=body), what="message", recipient=to
        )

    app = str(conf.get("MESSENGER_WECOM_CORP_ID")) + ":" + str(conf.get("MESSENGER_WECOM_AGENT_ID"))
    return tokens.with_token(provider="wecom", app=app, fetch=_fetch, send=send)


def robot_send(*, url: str, secret: str, text: str, reference: str) -> str:
    """A text message to a group robot; ``url`` is its webhook, ``key=`` included (a separate
    ``secret`` is taken as the key when the URL has none)."""
    if secret and "key=" not in url:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode({'key': secret})}"
    body = {"msgtype": "text", "text": {"content": text}}
    _read(http.call("POST", url, provider=PROVIDER, body=body), what="robot")
    return f"wecom-robot-{reference}"
