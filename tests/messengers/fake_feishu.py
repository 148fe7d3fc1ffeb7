"""A local Feishu (飞书) open platform: the tenant access token, the app message and the custom
bot, with Feishu's answers: 10014 (bad app secret), 99991661 (no token), 99991663 (invalid or
expired tenant token), 230013 (the bot cannot reach this user), 99991400 with HTTP 429 and
``x-ogw-ratelimit-reset`` (past 5 messages a second to one user), 19001 (unknown hook), 19021
(sign or timestamp), 11232 (past 100 a minute or 5 a second to a bot), 9499 (body past 20 KB);
a repeated ``uuid`` within an hour is sent once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time

from tests.messengers.fake_base import Delivered, MessengerFake, Reply, Seen

TOKEN_SECONDS = 7200
SIGN_FAIL = "sign match fail or timestamp is not within one hour from current time"


def expected_sign(secret: str, timestamp: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


class FeishuApi(MessengerFake):
    code_field = "code"

    def __init__(self, *, app_id: str, app_secret: str, users: set[str]) -> None:
        super().__init__()
        self.app_id, self.app_secret = app_id, app_secret
        self.users = set(users)
        self.hooks: dict[str, str] = {}  # hook id -> secret ("" unsigned)
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.uuids: dict[str, tuple[float, str]] = {}
        self.counter = itertools.count(1)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def route(self, seen: Seen) -> Reply:
        if seen.method == "POST" and seen.path == "/open-apis/auth/v3/tenant_access_token/internal":
            return self._token(seen)
        if seen.method == "POST" and seen.path == "/open-apis/im/v1/messages":
            return self._send(seen)
        if seen.method == "POST" and seen.path.startswith("/open-apis/bot/v2/hook/"):
            return self._bot(seen, seen.path.rsplit("/", 1)[-1])
        return 404, {}, {"code": 404, "msg": "not found"}

    def _token(self, seen: Seen) -> Reply:
        data = seen.json()
        if data.get("app_id") != self.app_id or data.get("app_secret") != self.app_secret:
            return 200, {}, {"code": 10014, "msg": "app secret invalid"}
        token = f"t-feishu-{next(self.counter)}"
        self.tokens[token] = time.time() + TOKEN_SECONDS
        self.tokens_issued += 1
        return (
            200,
            {},
            {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": TOKEN_SECONDS},
        )

    def _send(self, seen: Seen) -> Reply:
        auth = seen.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return 400, {}, {"code": 99991661, "msg": "Missing access token for authorization."}
        token = auth.removeprefix("Bearer ")
        if self.tokens.get(token, 0) <= time.time():
            return 400, {}, {"code": 99991663, "msg": "Invalid access token for authorization."}
        if self.script:
            return self.script.popleft()
        if seen.query.get("receive_id_type") != "user_id":
            return 400, {}, {"code": 99992402, "msg": "field validation failed"}
        data = seen.json()
        user = str(data.get("receive_id") or "")
        try:
            text = json.loads(data.get("content") or "{}").get("text", "")
        except ValueError:
            return (
                400,
                {},
                {"code": 230001, "msg": "Your request contains an invalid request parameter."},
            )
        if data.get("msg_type") != "text" or not text:
            return (
                400,
                {},
                {"code": 230001, "msg": "Your request contains an invalid request parameter."},
            )
        if user not in self.users:
            return 400, {}, {"code": 230013, "msg": "Bot has NO availability to this user."}
        uuid = str(data.get("uuid") or "")
        if uuid and uuid in self.uuids and time.time() - self.uuids[uuid][0] < 3600:
            return (
                200,
                {},
                {"code": 0, "msg": "success", "data": {"message_id": self.uuids[uuid][1]}},
            )
        if self.over_rate(f"user:{user}", (5, 1)):
            headers = {"x-ogw-ratelimit-limit": "5", "x-ogw-ratelimit-reset": "1"}
            return 429, headers, {"code": 99991400, "msg": "request trigger frequency limit"}
        message_id = f"om_{next(self.counter):08d}"
        if uuid:
            self.uuids[uuid] = (time.time(), message_id)
        self.delivered.append(Delivered(user, text, time.time()))
        return (
            200,
            {},
            {"code": 0, "msg": "success", "data": {"message_id": message_id, "msg_type": "text"}},
        )

    def _bot(self, seen: Seen, hook: str) -> Reply:
        if hook not in self.hooks:
            return (
                200,
                {},
                {
                    "code": 19001,
                    "msg": "param invalid: incoming webhook access token invalid",
                    "data": {},
                },
            )
        if len(seen.body) > 20 * 1024:
            return 200, {}, {"code": 9499, "msg": "Bad Request", "data": {}}
        data = seen.json()
        secret = self.hooks[hook]
        if secret:
            stamp = str(data.get("timestamp") or "")
            fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 3600
            if not fresh or not hmac.compare_digest(
                str(data.get("sign") or ""), expected_sign(secret, stamp)
            ):
                return (
                    200,
                    {},
                    {
                        "code": 19021,
                        "msg": SIGN_FAIL,
                        "data": {},
                    },
                )
        if self.script:
            return self.script.popleft()
        text = str((data.get("content") or {}).get("text") or "")
        if data.get("msg_type") != "text" or not text:
            return 200, {}, {"code": 9499, "msg": "Bad Request", "data": {}}
        if self.over_rate(f"hook:{hook}", (100, 60), (5, 1)):
            return (
                200,
                {},
                {
                    "code": 11232,
                    "msg": "frequency limited psm[lark.oapi.app_platform_runtime]",
                    "data": {},
                },
            )
        self.delivered.append(Delivered(hook, text, time.time()))
        return (
            200,
            {},
            {"StatusCode": 0, "StatusMessage": "success", "code": 0, "msg": "success", "data": {}},
        )
