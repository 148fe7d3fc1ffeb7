"""A relying party's back-channel logout endpoint on a real loopback port: it records each POST
(its form) and answers with the statuses it is told to, in turn (then 200)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class FakeLogoutEndpoint:
    def __init__(self) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.answers: list[int] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("ascii")
                endpoint.received.append({k: v[0] for k, v in parse_qs(body).items()})
                endpoint.headers.append(dict(self.headers.items()))
                status = endpoint.answers.pop(0) if endpoint.answers else 200
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/backchannel-logout"

    def __enter__(self) -> FakeLogoutEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def tokens(self) -> list[str]:
        return [form["logout_token"] for form in self.received]
