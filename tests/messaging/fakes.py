"""Local stand-ins for the SMS providers: real HTTP servers on 127.0.0.1 (random port) that speak
each provider's protocol, check its authentication with their own code (not ours), and answer
with the provider's documented reply and error shapes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self) -> dict:
        return json.loads(self.body.decode())

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode(), keep_blank_values=True))


Reply = tuple[int, dict[str, str], dict]


class FakeServer:
    """Subclasses implement ``authenticate(seen) -> Reply | None`` and ``ok(seen) -> Reply``.
    ``script`` holds replies for the next accepted requests (then ``ok``)."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []  # accepted (authenticated) requests
        self.refused: list[Seen] = []
        self.script: deque[Reply] = deque()
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    method="POST",
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length),
                )
                status, headers, payload = owner.handle(seen)
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, seen: Seen) -> Reply:
        with self.lock:
            refusal = self.authenticate(seen)
            if refusal is not None:
                self.refused.append(seen)
                return refusal
            self.requests.append(seen)
            if self.script:
                return self.script.popleft()
            return self.ok(seen)

    def authenticate(self, seen: Seen) -> Reply | None:
        raise NotImplementedError

    def ok(self, seen: Seen) -> Reply:
        raise NotImplementedError


# --- In-house gateway ---------------------------------------------------------------------------
class WebhookGateway(FakeServer):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret.encode()

    def authenticate(self, seen: Seen) -> Reply | None:
        stamp = seen.headers.get("x-portal-timestamp", "")
        given = seen.headers.get("x-portal-signature", "")
        expected = (
            "sha256="
            + hmac.new(self.secret, f"{stamp}.".encode() + seen.body, "sha256").hexdigest()
        )
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 300:
            return 401, {}, {"error": {"code": "stale_timestamp", "message": "timestamp too old"}}
        if not hmac.compare_digest(expected, given):
            return 401, {}, {"error": {"code": "bad_signature", "message": "signature mismatch"}}
        return None

    def ok(self, seen: Seen) -> Reply:
        return 202, {}, {"id": f"gw-{len(self.requests)}", "status": "accepted"}

    @staticmethod
    def bad_number(to: str = "") -> Reply:
        message = f"{to} is not a mobile number".strip()
        return 422, {}, {"error": {"code": "invalid_number", "message": message}}

    @staticmethod
    def throttled(retry_after: int = 30) -> Reply:
        return 429, {"Retry-After": str(retry_after)}, {"error": {"code": "rate_limited"}}

    @staticmethod
    def server_error() -> Reply:
        return 503, {}, {"error": {"code": "unavailable", "message": "upstream carrier down"}}


# --- Twilio ---------------------------------------------------------------------------------------
def _twilio_error(status: int, code: int, message: str) -> Reply:
    return (
        status,
        {},
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class TwilioApi(FakeServer):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token

    def authenticate(self, seen: Seen) -> Reply | None:
        scheme, _sp, encoded = seen.headers.get("authorization", "").partition(" ")
        try:
            user, _c, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            user = password = ""
        if scheme != "Basic" or (user, password) != (self.account_sid, self.auth_token):
            return _twilio_error(401, 20003, "Authenticate")
        if seen.path != f"/2010-04-01/Accounts/{self.account_sid}/Messages.json":
            return _twilio_error(404, 20404, "The requested resource was not found")
        return None

    def ok(self, seen: Seen) -> Reply:
        form = seen.form()
        if not form.get("To"):
            return _twilio_error(400, 21604, "A 'To' phone number is required.")
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return _twilio_error(400, 21603, "A 'From' phone number is required.")
        if not form["To"].startswith("+") or not form["To"][1:].isdigit():
            return self.bad_number(form["To"])
        return (
            201,
            {},
            {
                "sid": "SM" + uuid.uuid4().hex,
                "account_sid": self.account_sid,
                "to": form["To"],
                "status": "queued",
                "num_segments": "1",
            },
        )

    @staticmethod
    def bad_number(to: str = "+86000") -> Reply:
        return _twilio_error(400, 21211, f"The 'To' number {to} is not a valid phone number.")

    @staticmethod
    def throttled() -> Reply:
        status, _h, body = _twilio_error(429, 20429, "Too Many Requests")
        return status, {"Retry-After": "2"}, body

    @staticmethod
    def server_error() -> Reply:
        return _twilio_error(500, 20500, "An internal server error has occurred")


# --- Alibaba Cloud --------------------------------------------------------------------------------
_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"


def aliyun_encode(text: str) -> str:
    """The documented rule, byte by byte (independent of the portal's implementation)."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode())


def aliyun_expected_signature(method: str, params: dict[str, str], secret: str) -> str:
    pairs = sorted((aliyun_encode(k), aliyun_encode(v)) for k, v in params.items())
    canonical = "&".join(f"{k}={v}" for k, v in pairs)
    to_sign = f"{method}&%2F&{aliyun_encode(canonical)}"
    return base64.b64encode(
        hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    ).decode()


def _aliyun(code: str, message: str, status: int = 200, **extra) -> Reply:
    return (
        status,
        {},
        {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **extra},
    )


class AliyunApi(FakeServer):
    REQUIRED = (
        "AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce",
        "SignatureVersion", "Timestamp", "Version", "PhoneNumbers", "SignName",
        "TemplateCode", "Signature",
    )  # fmt: skip

    def __init__(self, access_key_id: str, access_key_secret: str) -> None:
        super().__init__()
        self.key_id = access_key_id
        self.secret = access_key_secret
        self.nonces: set[str] = set()

    def authenticate(self, seen: Seen) -> Reply | None:
        form = seen.form()
        missing = [p for p in self.REQUIRED if p not in form]
        if missing:
            return _aliyun("MissingParameter", f"{missing[0]} is mandatory for this action.", 400)
        if form["AccessKeyId"] != self.key_id:
            return _aliyun("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        signature = form.pop("Signature")
        if signature != aliyun_expected_signature("POST", form, self.secret):
            return _aliyun(
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
                400,
            )
        stamp = datetime.strptime(form["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(time.time() - stamp.timestamp()) > 900:
            return _aliyun(
                "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400
            )
        if form["SignatureNonce"] in self.nonces:
            return _aliyun("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        self.nonces.add(form["SignatureNonce"])
        if (form["Action"], form["Version"], form["SignatureMethod"]) != (
            "SendSms",
            "2017-05-25",
            "HMAC-SHA1",
        ):
            return _aliyun("InvalidParameter", "bad Action, Version or SignatureMethod", 400)
        return None

    def ok(self, seen: Seen) -> Reply:
        phones = seen.form()["PhoneNumbers"]
        if not phones.isdigit() or len(phones) < 11:
            return self.bad_number()
        return _aliyun("OK", "OK", BizId=f"{int(time.time() * 1000)}^0")

    @staticmethod
    def bad_number(to: str = "") -> Reply:
        return _aliyun("isv.MOBILE_NUMBER_ILLEGAL", f"非法手机号 {to}".strip())

    @staticmethod
    def throttled() -> Reply:
        return _aliyun("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5")

    @staticmethod
    def server_error() -> Reply:
        return _aliyun(
            "ServiceUnavailable",
            "The request has failed due to a temporary failure of the server.",
            503,
        )
