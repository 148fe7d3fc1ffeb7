"""A local DingTalk (钉钉) API: gettoken, the work notification (asyncsend_v2) and the custom
robot, with DingTalk's answers: 40089 (bad app key or secret), 40014 (invalid token), 42001
(expired token), 33012 (invalid userid), 90018 (past 40 calls a second per app), 300001 (no such
robot token), 310000 (sign not match, or a timestamp more than an hour off), 130101 (past 20
messages a minute: the robot then refuses everything for 10 minutes)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
from urllib.parse import unquote_plus

from tests.messengers.fake_base import Delivered, MessengerFake, Reply, Seen

TOKEN_SECONDS = 7200
THROTTLE_SECONDS = 600


def expected_sign(secret: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class DingTalkApi(MessengerFake):
    def __init__(self, *, app_key: str, app_secret: str, agent_id: int, users: set[str]) -> None:
        super().__init__()
        self.app_key, self.app_secret, self.agent_id = app_key, app_secret, agent_id
        self.users = set(users)
        self.robots: dict[str, str] = {}  # robot access_token -> secret ("" unsigned)
        self.throttled_until: dict[str, float] = {}
        self.tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.counter = itertools.count(1)

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def route(self, seen: Seen) -> Reply:
        if seen.method == "GET" and seen.path == "/gettoken":
            return self._gettoken(seen)
        if seen.method == "POST" and seen.path == "/topapi/message/corpconversation/asyncsend_v2":
            return self._send(seen)
        if seen.method == "POST" and seen.path == "/robot/send":
            return self._robot(seen)
        return 404, {}, {"errcode": 404, "errmsg": "not found"}

    def _gettoken(self, seen: Seen) -> Reply:
        if (
            seen.query.get("appkey") != self.app_key
            or seen.query.get("appsecret") != self.app_secret
        ):
            return 200, {}, {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}
        token = f"ding-token-{next(self.counter)}"
        self.tokens[token] = time.time() + TOKEN_SECONDS
        self.tokens_issued += 1
        return (
            200,
            {},
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_SECONDS},
        )

    def _send(self, seen: Seen) -> Reply:
        token = seen.query.get("access_token", "")
        if token not in self.tokens:
            return 200, {}, {"errcode": 40014, "errmsg": "不合法的access_token"}
        if self.tokens[token] <= time.time():
            return 200, {}, {"errcode": 42001, "errmsg": "access_token超时"}
        if self.script:
            return self.script.popleft()
        data = seen.json()
        if data.get("agent_id") != self.agent_id:
            return 200, {}, {"errcode": 400003, "errmsg": "agentId不合法"}
        user = str(data.get("userid_list") or "")
        msg = data.get("msg") or {}
        content = str((msg.get("text") or {}).get("content") or "")
        if msg.get("msgtype") != "text" or not content:
            return 200, {}, {"errcode": 40035, "errmsg": "缺少参数 msg"}
        if user not in self.users:
            return 200, {}, {"errcode": 33012, "errmsg": "无效的USERID"}
        if self.over_rate("app", (40, 1)):
            return (
                200,
                {},
                {
                    "errcode": 90018,
                    "errmsg": "您的服务器调用钉钉开放平台当前接口的所有请求都被暂时禁用了",
                },
            )
        self.delivered.append(Delivered(user, content, time.time()))
        task = next(self.counter)
        return 200, {}, {"errcode": 0, "errmsg": "ok", "task_id": task, "request_id": f"req{task}"}

    def _robot(self, seen: Seen) -> Reply:
        token = seen.query.get("access_token", "")
        if token not in self.robots:
            return 200, {}, {"errcode": 300001, "errmsg": "token is not exist"}
        secret = self.robots[token]
        if secret:
            stamp = seen.query.get("timestamp", "")
            if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 3600 * 1000:
                return 200, {}, {"errcode": 310000, "errmsg": "invalid timestamp"}
            # The query parser already URL-decoded the sign once.
            given = seen.query.get("sign", "")
            if not hmac.compare_digest(
                given, expected_sign(secret, stamp)
            ) and not hmac.compare_digest(unquote_plus(given), expected_sign(secret, stamp)):
                return 200, {}, {"errcode": 310000, "errmsg": "sign not match"}
        if self.throttled_until.get(token, 0) > time.time():
            return (
                200,
                {},
                {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
            )
        if self.script:
            return self.script.popleft()
        data = seen.json()
        content = str((data.get("text") or {}).get("content") or "")
        if data.get("msgtype") != "text" or not content:
            return 200, {}, {"errcode": 40035, "errmsg": "缺少参数 json"}
        if self.over_rate(f"robot:{token}", (20, 60)):
            self.throttled_until[token] = time.time() + THROTTLE_SECONDS
            return (
                200,
                {},
                {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"},
            )
        self.delivered.append(Delivered(token, content, time.time()))
        return 200, {}, {"errcode": 0, "errmsg": "ok"}
