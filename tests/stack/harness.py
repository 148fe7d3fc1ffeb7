"""The running stack as the tests see it: its processes (started and stopped by deploy/stack.py,
as `make stack` does), its database (read with psycopg), the providers' fakes it sends to, and
browsers that talk to nginx over TLS or straight to one node."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import requests
from requests.adapters import HTTPAdapter

from tests.messaging.fakes import Seen, WebhookGateway

ROOT = Path(__file__).resolve().parents[2]
PYTHON = str(Path(sys.executable))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate: Callable[[], object], *, timeout: float = 30, what: str = "") -> object:
    """Poll the stack's progress (real processes in real time: no fake clock reaches them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


# --- The providers' fakes ---------------------------------------------------------------------
class Gateway(WebhookGateway):
    """The SMS webhook gateway, as a real one behaves: a repeat of an Idempotency-Key it has
    accepted is answered again and not sent to the phone a second time. ``hold`` keeps the next
    accepted request waiting (the worker then is mid-delivery) until ``release``."""

    def __init__(self, secret: str) -> None:
        super().__init__(secret)
        self.hold_next = threading.Event()
        self.holding = threading.Event()
        self.released = threading.Event()

    def handle(self, seen: Seen):
        reply = super().handle(seen)
        if reply[0] < 300 and self.hold_next.is_set():
            self.hold_next.clear()
            self.holding.set()
            self.released.wait(30)
        return reply

    def sent(self) -> dict[str, list[Seen]]:
        """What reached phones: the accepted requests by Idempotency-Key."""
        with self.lock:
            by_key: dict[str, list[Seen]] = {}
            for seen in self.requests:
                by_key.setdefault(seen.headers.get("idempotency-key", ""), []).append(seen)
            return by_key

    def copies_to(self, number: str) -> dict[str, int]:
        """Requests accepted for ``number``, by Idempotency-Key (the outbox row's reference)."""
        return {
            key: len(copies)
            for key, copies in self.sent().items()
            if copies[0].json().get("to") == number
        }


class Mailbox:
    """aiosmtpd's handler: every message received, with its outbox reference."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], str]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf-8", "replace")
        found = re.search(r"^X-Portal-Reference:\s*(\S+)", text, re.MULTILINE | re.IGNORECASE)
        with self.lock:
            self.received.append((found.group(1) if found else "", list(envelope.rcpt_tos), text))
        return "250 Message accepted for delivery"

    def copies_to(self, address: str) -> dict[str, int]:
        """Messages received for ``address``, by X-Portal-Reference (the row's reference; the
        Message-ID, made from it, is the same on a resend)."""
        with self.lock:
            counts: dict[str, int] = {}
            for message_id, rcpts, _text in self.received:
                if address in rcpts:
                    counts[message_id] = counts.get(message_id, 0) + 1
            return counts


# --- The stack's processes and database -------------------------------------------------------
@dataclass
class Stack:
    env: dict[str, str]
    database_url: str
    https_port: int
    web_ports: tuple[int, int]
    redis_port: int
    dir: Path
    gateway: Gateway
    mailbox: Mailbox
    ca: str = field(init=False)

    def __post_init__(self) -> None:
        self.ca = str(self.dir / "tls" / "cert.pem")

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def run(self, *args: str, timeout: float = 180) -> str:
        """``deploy/stack.py`` with these arguments, in the stack's environment."""
        result = subprocess.run(
            [PYTHON, "deploy/stack.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr + self.logs()
        return result.stdout

    def manage(self, *args: str) -> str:
        env = {**self.env, **json.loads((self.dir / "env.json").read_text())}
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def pid(self, name: str) -> int:
        return int((self.dir / "run" / f"{name}.pid").read_text())

    def logs(self, *names: str, lines: int = 30) -> str:
        out = []
        for name in names or ("web-1", "web-2", "worker", "beat", "nginx-error"):
            path = self.dir / "logs" / f"{name}.log"
            if path.exists():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"\n--- {name} ---\n" + "\n".join(tail))
        return "".join(out)

    def sql(self, query: str, params: list | None = None) -> list[tuple]:
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            cursor = conn.execute(query, params or [])
            return cursor.fetchall() if cursor.description else []

    def outbox(self, *, recipient: str) -> list[tuple[str, str, str, int]]:
        """(kind, status, reference, attempts) of every outbox row to ``recipient``."""
        return self.sql(
            "SELECT kind, status, reference::text, attempts FROM messaging_outboxmessage"
            " WHERE recipient = %s ORDER BY id",
            [recipient],
        )


# --- Browsers ---------------------------------------------------------------------------------
class _SourceAdapter(HTTPAdapter):
    """Connections from one loopback address (nginx then sees it as the client's)."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kwargs)


class Browser:
    """One browser with its own cookies and client address. ``via``: "nginx" (https through the
    proxy, the client address its loopback source), or 1 / 2 (http straight to that node, with
    the headers nginx would add: the client address in X-Forwarded-For, X-Forwarded-Proto)."""

    def __init__(self, stack: Stack, *, ip: str) -> None:
        self.stack = stack
        self.ip = ip
        self.cookies: dict[str, str] = {}
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.mount("https://", _SourceAdapter(ip))

    def request(self, method: str, path: str, *, via="nginx", data=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        host = f"127.0.0.1:{self.stack.https_port}"
        if via == "nginx":
            url = self.stack.base_url + path
        else:
            url = f"http://127.0.0.1:{self.stack.web_ports[via - 1]}{path}"
            headers.update({"Host": host, "X-Forwarded-For": self.ip, "X-Forwarded-Proto": "https"})
        if method == "POST":
            headers.setdefault("Origin", self.stack.base_url)
            headers.setdefault("Referer", self.stack.base_url + path)
            if data is not None and "csrftoken" in self.cookies:
                data = {"csrfmiddlewaretoken": self.cookies["csrftoken"], **data}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(
            method,
            url,
            data=data,
            headers=headers,
            verify=self.stack.ca,
            allow_redirects=False,
            timeout=kwargs.pop("timeout", 30),
            **kwargs,
        )
        for cookie in response.cookies:
            if cookie.value:
                self.cookies[cookie.name] = cookie.value
            else:
                self.cookies.pop(cookie.name, None)
        return response

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs):
        return self.request("POST", path, data=data, **kwargs)

    def sign_in(self, username: str, password: str, *, via="nginx", headers=None):
        if "csrftoken" not in self.cookies:
            self.get("/accounts/login/", via=via)
        fields = {"username": username, "password": password}
        return self.post("/accounts/login/", fields, via=via, headers=headers or {})


def location_query(response) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(urlsplit(response.headers["Location"]).query))


def env_for_stack(base: dict[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith("STACK_")}
    env.update(extra)
    env["PATH"] = os.environ.get("PATH", "")
    return env
