"""A local WeCom (企业微信) API: gettoken, the application message and the group robot, with
WeCom's answers: 40013 (bad corp id), 40001 (bad secret), 41001 (no token), 40014 (invalid
token), 42001 (expired token), 81013 (no valid recipient, ``invaliduser``), 45009 (past 30
messages a minute to one member, or 20 a minute to a robot), 45002 (content past 2048 bytes),
93000 (unknown robot key); ``enable_duplicate_check`` folds a repeat within its interval."""

from __future__ import annotations

import itertools
import time

from tests.messengers.fake_base import Delivered, MessengerFake, Reply, Seen

TOKEN_SECONDS = 7200


class WeComApi(MessengerFake):
    def __init__(self, *, corp_id: str, secret: str, agent_id: int, users: set[str]) -> None:
        super().__init__()
        self.corp_id, self.secret, self.agent_id = corp_id, secret, agent_id
        self.users = set(users)
        self.robot_keys: set[str] = set()
        self.tokens: dict[str, float] = {}  # token -> expiry
        self.tokens_issued = 0
        self.counter = itertools.count(1)
        self.recent: dict[tuple[str, str], float] = {}  # (user, content) -> time, dup check

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens = dict.fromkeys(self.tokens, 0.0)

    def route(self, seen: Seen) -> Reply:
        if seen.method == "GET" and seen.path == "/cgi-bin/gettoken":
            return self._gettoken(seen)
        if seen.method == "POST" and seen.path == "/cgi-bin/message/send":
            return self._send(seen)
        if seen.method == "POST" and seen.path == "/cgi-bin/webhook/send":
            return self._robot(seen)
        return 404, {}, {"errcode": 404, "errmsg": "not found"}

    def _gettoken(self, seen: Seen) -> Reply:
        if seen.query.get("corpid") != self.corp_id:
            return 200, {}, {"errcode": 40013, "errmsg": "invalid corpid"}
        if seen.query.get("corpsecret") != self.secret:
            return 200, {}, {"errcode": 40001, "errmsg": "invalid credential"}
        token = f"wecom-token-{next(self.counter)}"
        self.tokens[token] = time.time() + TOKEN_SECONDS
        self.tokens_issued += 1
        return (
            200,
            {},
            {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": TOKEN_SECONDS},
        )

    def _token_refusal(self, seen: Seen) -> Reply | None:
        token = seen.query.get("access_token")
        if not token:
            return 200, {}, {"errcode": 41001, "errmsg": "access_token missing"}
        if token not in self.tokens:
            return 200, {}, {"errcode": 40014, "errmsg": "invalid access_token"}
        if self.tokens[token] <= time.time():
            return 200, {}, {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    def _send(self, seen: Seen) -> Reply:
        refusal = self._token_refusal(seen)
        if refusal:
            return refusal
        if self.script:
            return self.script.popleft()
        data = seen.json()
        if data.get("agentid") != self.agent_id:
            return 200, {}, {"errcode": 40056, "errmsg": "invalid agentid"}
        if data.get("msgtype") != "text":
            return 200, {}, {"errcode": 40008, "errmsg": "invalid message type"}
        content = str((data.get("text") or {}).get("content") or "")
        if len(content.encode()) > 2048:
            return 200, {}, {"errcode": 45002, "errmsg": "content size out of limit"}
        user = str(data.get("touser") or "")
        if user not in self.users:
            return (
                200,
                {},
                {"errcode": 81013, "errmsg": "user & party & tag all invalid", "invaliduser": user},
            )
        msgid = f"wecom-msg-{next(self.counter)}"
        ok = {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": msgid}
        if data.get("enable_duplicate_check"):
            interval = int(data.get("duplicate_check_interval") or 1800)
            last = self.recent.get((user, content))
            if last is not None and time.time() - last < interval:
                return 200, {}, ok  # accepted, not shown twice
        if self.over_rate(f"member:{user}", (30, 60)):
            return 200, {}, {"errcode": 45009, "errmsg": "api freq out of limit"}
        self.recent[(user, content)] = time.time()
        self.delivered.append(Delivered(user, content, time.time()))
        return 200, {}, ok

    def _robot(self, seen: Seen) -> Reply:
        key = seen.query.get("key", "")
        if key not in self.robot_keys:
            return 200, {}, {"errcode": 93000, "errmsg": "invalid webhook url"}
        if self.script:
            return self.script.popleft()
        data = seen.json()
        content = str((data.get("text") or {}).get("content") or "")
        if data.get("msgtype") != "text" or not content:
            return 200, {}, {"errcode": 40008, "errmsg": "invalid message type"}
        if len(content.encode()) > 2048:
            return 200, {}, {"errcode": 45002, "errmsg": "content size out of limit"}
        if self.over_rate(f"robot:{key}", (20, 60)):
            return 200, {}, {"errcode": 45009, "errmsg": "api freq out of limit"}
        self.delivered.append(Delivered(key, content, time.time()))
        return 200, {}, {"errcode": 0, "errmsg": "ok"}
