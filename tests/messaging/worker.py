"""A real Celery worker process for the integration tests and the bench, and a switch for this
process's Celery producer (which broker, which queue, eager or not)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(
        self,
        *,
        db_name: str,
        broker_url: str,
        webhook_url: str,
        webhook_secret: str,
        sms_file: str = "",
        cache_prefix: str = "",
    ) -> None:
        """``sms_file``: SMS go to that file (the ``file`` backend) instead of the webhook;
        ``cache_prefix``: the worker shares the test process's cache keys (as one Redis is shared
        in production) instead of its own."""
        self.queue = f"portal-msgtest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.broker_url = broker_url
        self.log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.messaging.worker_settings",
            "PYTHONPATH": str(ROOT),
            "PORTAL_WORKER_DB_NAME": db_name,
            "PORTAL_WORKER_BROKER_URL": broker_url,
            "PORTAL_WORKER_QUEUE": self.queue,
            "PORTAL_WORKER_SMS_WEBHOOK_URL": webhook_url,
            "PORTAL_WORKER_SMS_WEBHOOK_SECRET": webhook_secret,
            "PORTAL_WORKER_SMS_FILE_PATH": sms_file,
            "PORTAL_WORKER_CACHE_PREFIX": cache_prefix,
        }
        command = [
            str(Path(sys.executable).with_name("celery")),
            "-A",
            "portal",
            "worker",
            "-Q",
            self.queue,
            "--concurrency=1",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname={self.queue}@%h",
            "--loglevel=INFO",
        ]
        self._log_handle = self.log.open("wb")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._log_handle, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Celery worker exited:\n{self.log_tail()}")
            if b" ready." in self.log.read_bytes():
                return
            time.sleep(0.05)
        raise RuntimeError(f"the Celery worker did not start in {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown: ETA tasks go back
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_handle.close()
        with contextlib.suppress(Exception):
            import redis

            redis.Redis.from_url(self.broker_url).delete(self.queue)
        self.log.unlink(missing_ok=True)


def _reset_producer(app) -> None:
    from kombu import pools

    pools.reset()  # kombu's process-wide connection and producer pools, keyed by broker
    app._pool = None
    app.__dict__.pop("amqp", None)  # cached queues, router and producer pool


@contextlib.contextmanager
def producer(*, broker_url: str, queue: str) -> Iterator[Callable[[str], None]]:
    """Send this process's tasks to ``broker_url`` / ``queue`` (not eagerly). Yields a function
    that points the producer at another broker (to simulate the broker going down)."""
    from portal.celery import app

    keys = ("broker_url", "task_default_queue", "task_always_eager")
    saved = {key: app.conf[key] for key in keys}

    def point_at(url: str) -> None:
        _reset_producer(app)
        app.conf.update(broker_url=url, task_default_queue=queue, task_always_eager=False)

    point_at(broker_url)
    try:
        yield point_at
    finally:
        _reset_producer(app)
        app.conf.update(saved)


def wait_for(predicate: Callable[[], object], *, timeout: float = 20, what: str = "") -> object:
    """Poll another process's progress (not a fake clock: the worker lives in real time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def dead_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
