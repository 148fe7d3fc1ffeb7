"""The base of the local messenger fakes: a real HTTP server on 127.0.0.1 (random port) that
answers GET and POST with JSON as the providers do. Time is ``time.time()``, which the tests'
fake clock moves (token lifetimes, rate windows, signature timestamps)."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

Reply = tuple[int, dict[str, str], dict]


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.time)

    def json(self) -> dict:
        try:
            data = json.loads(self.body.decode() or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}


@dataclass
class Delivered:
    to: str  # a user id, or a robot's key / token / hook id
    text: str
    at: float


class MessengerFake:
    """Subclasses implement ``route(seen) -> Reply``. ``delivered`` holds what reached a
    person or a group; ``answers`` every (path, code) answered, refusals included."""

    code_field = "errcode"

    def __init__(self) -> None:
        self.delivered: list[Delivered] = []
        self.answers: list[tuple[str, int]] = []
        self.script: deque[Reply] = deque()  # forced answers to the next sending calls
        self.lock = threading.Lock()
        self.sends: dict[str, list[float]] = defaultdict(list)  # rate windows
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                seen = Seen(
                    method=method,
                    path=parts.path,
                    query={k: v[0] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with owner.lock:
                    status, headers, payload = owner.route(seen)
                    owner.answers.append((seen.path, payload.get(owner.code_field, -2)))
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

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

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, seen: Seen) -> Reply:
        raise NotImplementedError

    # helpers for subclasses
    def over_rate(self, lane: str, *rules: tuple[int, float]) -> bool:
        """Count one call on ``lane``; True when one ``(limit, seconds)`` rule is full (a
        refused call is not counted, as the providers count what they deliver)."""
        now = time.time()
        longest = max(seconds for _limit, seconds in rules)
        window = [t for t in self.sends[lane] if t > now - longest]
        self.sends[lane] = window
        for limit, seconds in rules:
            if sum(1 for t in window if t > now - seconds) >= limit:
                return True
        window.append(now)
        return False

    def texts_to(self, to: str) -> list[str]:
        with self.lock:
            return [d.text for d in self.delivered if d.to == to]

    def codes(self) -> list[int]:
        with self.lock:
            return [code for _path, code in self.answers]
