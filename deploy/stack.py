"""`make stack` / `make stack-down`: the production configuration on one machine.

nginx (TLS, a self-signed certificate made on the first run) in front of two gunicorn nodes, the
machine's PostgreSQL (the stack's own database), a Redis server of the stack's own on its own
port, one Celery worker and one beat, debug off, and the demo CRM relying party. Every process
runs unprivileged-friendly under ``var/stack/`` (pid files, logs, nginx's prefix and temp paths)
on high loopback ports, so it runs beside anything else. Idempotent: ``up`` starts only what is
not running; ``down`` stops what runs.

    python deploy/stack.py up [service ...]   # all, or: redis web-1 web-2 worker beat nginx
    python deploy/stack.py down [service ...]
    python deploy/stack.py status
    python deploy/stack.py env                  # the processes' environment, for `manage.py`

Knobs (environment, read at a full ``up`` when nothing runs; then kept in var/stack/env.json):
STACK_DIR (var/stack), STACK_DATABASE_URL (postgres://postgres@127.0.0.1:5432/portal_stack),
STACK_HTTPS_PORT (8443), STACK_HTTP_PORT (8080), STACK_WEB_PORTS (8101,8102), STACK_REDIS_PORT
(6391), GUNICORN_WORKERS (2 a node), STACK_SETTINGS_MODULE (portal.settings). Any portal
variable set in the caller's environment (SMS_BACKEND, EMAIL_URL, LOCKOUT_*...) reaches every
process, except those the stack fixes: debug, hosts, base URL, proxy count, database and Redis.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stack_setup import (
    BIN,
    ROOT,
    Stack,
    database_ensure,
    environment,
    say,
    stack_from_env,
    tls_ensure,
)

SERVICES = ("redis", "web-1", "web-2", "worker", "beat", "nginx")


@dataclass
class Starting:
    """A service spawned: it is up when ``ready()`` answers true within ``timeout`` seconds."""

    name: str
    pid: int
    ready: Callable[[], object]
    timeout: float = 90


def pid_read(stack: Stack, name: str) -> int | None:
    try:
        pid = int(stack.pid_file(name).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if alive(pid) else None


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


def spawn(stack: Stack, name: str, command: list[str], env: dict[str, str]) -> int:
    """Start ``command`` in its own session (so it outlives this script and its group can be
    signalled whole), output appended to its log, its pid in its pid file."""
    with stack.log_file(name).open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack.pid_file(name).write_text(f"{process.pid}\n")
    return process.pid


def stop(stack: Stack, name: str, *, timeout: float = 20) -> None:
    pid = pid_read(stack, name)
    if pid is None:
        stack.pid_file(name).unlink(missing_ok=True)
        return
    with _quiet():
        os.killpg(pid, signal.SIGTERM)  # nginx: its fast shutdown (no wait for keep-alives)
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        say(f"{name} did not stop in {timeout:.0f} s: killed")
        with _quiet():
            os.killpg(pid, signal.SIGKILL)
    stack.pid_file(name).unlink(missing_ok=True)
    say(f"{name} stopped")


class _quiet:
    def __enter__(self):
        return self

    def __exit__(self, kind, value, tb):
        return kind is ProcessLookupError


def wait_for(what: str, check, *, timeout: float = 60, pid: int | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pid is not None and not alive(pid):
            raise SystemExit(f"stack: {what} exited; see its log")
        try:
            if check():
                return
        except Exception:  # noqa: S110 (not up yet: any error means try again)
            pass
        time.sleep(0.2)
    raise SystemExit(f"stack: {what} not ready after {timeout:.0f} s; see its log")


def https_get(stack: Stack, url: str, *, headers: dict[str, str] | None = None) -> int:
    context = ssl.create_default_context(cafile=str(stack.ca_file))
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5, context=context) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def env_saved(stack: Stack) -> dict[str, str]:
    """The processes' environment: the one saved at the full start while anything still runs
    (so a service restarted alone gets what the others have), else made afresh."""
    path = stack.dir / "env.json"
    if path.exists() and any(pid_read(stack, name) for name in SERVICES):
        portal = json.loads(path.read_text())
    else:
        portal = environment(stack)
        tls_ensure(stack)
        path.write_text(json.dumps(portal, indent=1, sort_keys=True))
        path.chmod(0o600)
    return {**os.environ, **portal}


# --- The services: each spawned, then waited for (all but redis together) ----------------
def redis_start(stack: Stack, env: dict[str, str]) -> Starting:
    pid = spawn(
        stack,
        "redis",
        [
            "redis-server",
            "--port",
            str(stack.redis_port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(stack.dir / "redis"),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
        ],
        env,
    )
    import redis

    client = redis.Redis(port=stack.redis_port, socket_connect_timeout=1)
    return Starting("redis", pid, client.ping, 20)


def web_start(stack: Stack, env: dict[str, str], node: int) -> Starting:
    name, port = f"web-{node}", stack.web_ports[node - 1]
    pid = spawn(
        stack,
        name,
        [
            str(BIN / "gunicorn"),
            "portal.wsgi",
            "--config",
            str(ROOT / "deploy" / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--name",
            f"portal-{name}",
        ],
        env,
    )
    return Starting(name, pid, lambda: _http_status(f"http://127.0.0.1:{port}/healthz") == 200)


def _http_status(url: str) -> int:
    request = urllib.request.Request(
        url, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def worker_start(stack: Stack, env: dict[str, str]) -> Starting:
    log = stack.log_file("worker")
    start = log.stat().st_size if log.exists() else 0
    pid = spawn(
        stack,
        "worker",
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--loglevel=INFO",
            "--concurrency=2",
            "--hostname=stack-worker@%h",
        ],
        env,
    )
    return Starting("worker", pid, lambda: b" ready." in log.read_bytes()[start:])


def beat_start(stack: Stack, env: dict[str, str]) -> Starting:
    pid = spawn(
        stack,
        "beat",
        [
            str(BIN / "celery"),
            "-A",
            "portal",
            "beat",
            "--loglevel=INFO",
            f"--schedule={stack.dir / 'run' / 'celerybeat-schedule'}",
        ],
        env,
    )
    began = time.monotonic()
    return Starting("beat", pid, lambda: time.monotonic() - began > 1)


def nginx_conf(stack: Stack) -> Path:
    """nginx.conf from deploy/nginx/stack.conf.in: our prefix, pid, logs, temp paths, ports."""
    template = (ROOT / "deploy" / "nginx" / "stack.conf.in").read_text()
    values = {
        "DIR": str(stack.dir),
        "ROOT": str(ROOT),
        "HTTPS_PORT": str(stack.https_port),
        "HTTP_PORT": str(stack.http_port),
        "WEB_1": str(stack.web_ports[0]),
        "WEB_2": str(stack.web_ports[1]),
        # As root, nginx's workers run as nobody (its default); unprivileged, as the caller.
        "USER": "user nobody nogroup;" if os.geteuid() == 0 else "",
    }
    for key, value in values.items():
        template = template.replace("@" + key + "@", value)
    path = stack.dir / "nginx" / "nginx.conf"
    path.write_text(template)
    return path


def nginx_binary() -> str:
    for candidate in ("/usr/sbin/nginx", "/usr/local/sbin/nginx"):
        if Path(candidate).exists():
            return candidate
    if os.geteuid() == 0:
        say("installing Debian's nginx")
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "nginx"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return "/usr/sbin/nginx"
    raise SystemExit("stack: nginx is missing (apt-get install nginx)")


def nginx_start(stack: Stack, env: dict[str, str]) -> Starting:
    binary = nginx_binary()
    conf = nginx_conf(stack)
    prefix = str(stack.dir / "nginx")
    test = subprocess.run(
        [binary, "-t", "-q", "-p", prefix, "-c", str(conf)], capture_output=True, text=True
    )
    if test.returncode != 0:
        raise SystemExit(f"stack: nginx -t failed:\n{test.stderr}")
    pid = spawn(stack, "nginx", [binary, "-p", prefix, "-c", str(conf)], env)
    return Starting("nginx", pid, lambda: https_get(stack, stack.base_url + "/healthz") == 200)


STARTERS = {
    "redis": redis_start,
    "web-1": lambda stack, env: web_start(stack, env, 1),
    "web-2": lambda stack, env: web_start(stack, env, 2),
    "worker": worker_start,
    "beat": beat_start,
    "nginx": nginx_start,
}


# --- Commands -----------------------------------------------------------------------------
def up(stack: Stack, names: list[str]) -> None:
    full = not names
    env = env_saved(stack)
    wanted = names or list(SERVICES)
    if full and not all(pid_read(stack, name) for name in SERVICES):
        # Something to start: the database first (created, migrated, static files, demo data).
        if pid_read(stack, "redis") is None:
            _ready(STARTERS["redis"](stack, env))
        database_ensure(stack, env)
    # Everything else at once (nginx waits for its nodes by its own health check).
    for starting in [STARTERS[name](stack, env) for name in wanted if not pid_read(stack, name)]:
        _ready(starting)
    if full:
        status(stack)


def _ready(starting: Starting) -> None:
    wait_for(starting.name, starting.ready, pid=starting.pid, timeout=starting.timeout)
    say(f"{starting.name} started")


def down(stack: Stack, names: list[str]) -> None:
    for name in reversed(names or list(SERVICES)):
        stop(stack, name)


def status(stack: Stack) -> None:
    for name in SERVICES:
        pid = pid_read(stack, name)
        print(f"  {name:<7} {'running, pid ' + str(pid) if pid else 'stopped'}")
    print(
        f"""
  portal      {stack.base_url}/   (http://127.0.0.1:{stack.http_port}/ redirects there)
  admin       {stack.base_url}/admin/
  demo CRM    {stack.base_url}/demo-crm/   (client demo-crm)
  nodes       http://127.0.0.1:{stack.web_ports[0]}/  http://127.0.0.1:{stack.web_ports[1]}/
  redis       {stack.redis_url}
  database    {stack.database_url}
  CA          {stack.ca_file}   (curl --cacert ...; browsers: accept the certificate)
  mail / SMS  {stack.dir / "mail"}/  {stack.dir / "sms.jsonl"}   (unless SMS_BACKEND, EMAIL_URL set)
  logs        {stack.dir / "logs"}/
  demo users  zhang.wei, li.na, alice (employees), agent, admin: password Demo-Portal-2026!"""
    )


def main(argv: list[str]) -> None:
    if not argv or argv[0] not in {"up", "down", "status", "env"}:
        raise SystemExit(__doc__)
    command, names = argv[0], argv[1:]
    unknown = [name for name in names if name not in SERVICES]
    if unknown:
        raise SystemExit(f"stack: unknown service {', '.join(unknown)}; known: {SERVICES}")
    stack = stack_from_env()
    stack.dir.mkdir(parents=True, exist_ok=True)
    if command == "up":
        up(stack, names)
    elif command == "down":
        down(stack, names)
    elif command == "status":
        status(stack)
    else:
        env_saved(stack)
        for key, value in sorted(json.loads((stack.dir / "env.json").read_text()).items()):
            print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main(sys.argv[1:])
