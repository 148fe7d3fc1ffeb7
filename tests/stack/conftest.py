"""The ``stack`` marker's tests run `make stack` (deploy/stack.py) once for the session: nginx with
TLS in front of two gunicorn nodes, a Redis server of their own, a worker and beat, on the
machine's PostgreSQL in a database of their own, sending SMS to a local webhook gateway and email
to a local SMTP server (aiosmtpd) that count what they receive.

They run only in their own stage (`make test-stack`, which sets PORTAL_STACK_TESTS=1; `.ci/run`
runs it after the suite). Elsewhere (a plain `make test`) they are deselected with a printed
reason: starting the stack costs half a minute and ports, and the suite's other tests never need it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from aiosmtpd.controller import Controller

from tests.stack.harness import Gateway, Mailbox, Stack, env_for_stack, free_port

STAGE = os.environ.get("PORTAL_STACK_TESTS") == "1"
_deselected: list[int] = []


def pytest_collection_modifyitems(config, items):
    if STAGE:
        reason = _stack_reason()
        for item in items:
            if reason and item.get_closest_marker("stack"):
                item.add_marker(pytest.mark.skip(reason=f"[stack] {reason}"))
        return
    kept = [item for item in items if not item.get_closest_marker("stack")]
    gone = [item for item in items if item.get_closest_marker("stack")]
    if gone:
        config.hook.pytest_deselected(items=gone)
        items[:] = kept
        _deselected.append(len(gone))


def pytest_terminal_summary(terminalreporter):
    if _deselected:
        terminalreporter.write_line(
            f"[stack] {sum(_deselected)} multi-node tests deselected: they run in their own "
            "stage, `make test-stack` (PORTAL_STACK_TESTS=1; .ci/run runs it)"
        )


def _stack_reason() -> str | None:
    if not shutil.which("nginx") and not os.path.exists("/usr/sbin/nginx"):
        return "nginx is missing (apt-get install nginx; .ci/run installs it)"
    if not shutil.which("redis-server"):
        return "redis-server is missing"
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        return "DATABASE_URL does not point at PostgreSQL (the stack makes its own database there)"
    return None


def _database_url() -> str:
    url = urlsplit(os.environ["DATABASE_URL"])
    name = url.path.lstrip("/") + "_stack"
    return url._replace(path="/" + name).geturl()


def _drop(database_url: str) -> None:
    url = urlsplit(database_url)
    name = url.path.lstrip("/")
    with psycopg.connect(url._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def stack():
    secret = secrets.token_urlsafe(32)
    gateway = Gateway(secret).start()
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    folder = Path(tempfile.mkdtemp(prefix="portal-stack-"))
    database_url = _database_url()
    _drop(database_url)
    ports = {"https": free_port(), "http": free_port(), "web": (free_port(), free_port())}
    env = env_for_stack(
        dict(os.environ),
        STACK_DIR=str(folder),
        STACK_DATABASE_URL=database_url,
        STACK_HTTPS_PORT=str(ports["https"]),
        STACK_HTTP_PORT=str(ports["http"]),
        STACK_WEB_PORTS=f"{ports['web'][0]},{ports['web'][1]}",
        STACK_REDIS_PORT=str(free_port()),
        STACK_SETTINGS_MODULE="tests.stack.stack_settings",
        SMS_BACKEND="webhook",
        SMS_WEBHOOK_URL=gateway.url + "/send",
        SMS_WEBHOOK_SECRET=secret,
        EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
    )
    running = Stack(
        env=env,
        database_url=database_url,
        https_port=ports["https"],
        web_ports=ports["web"],
        redis_port=int(env["STACK_REDIS_PORT"]),
        dir=folder,
        gateway=gateway,
        mailbox=mailbox,
    )
    try:
        running.run("up", timeout=240)
        running.manage("shell", "-c", "from tests.stack.seed import run; run()")
        yield running
    finally:
        running.run("down")
        smtp.stop()
        gateway.stop()
        if os.environ.get("PORTAL_STACK_KEEP") == "1":  # logs and database kept, to read
            print(f"\n[stack] kept: {folder}, {database_url}")
        else:
            _drop(database_url)
            shutil.rmtree(folder, ignore_errors=True)
