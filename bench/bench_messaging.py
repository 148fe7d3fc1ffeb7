"""Messaging: what queueing a message costs the caller, and how long a committed message takes to
reach the SMS provider with an idle worker (target: p95 under 2 s).

Standalone: the test settings on a throwaway database (SQLite file, or PostgreSQL with
DATABASE_URL); with REDIS_URL, a real Celery worker process on its own queue delivers through the
webhook backend to a local fake gateway that records when each request arrives.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

ENQUEUE_N = 300
LATENCY_N = 60
SECRET = "bench-webhook-secret"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def line(label: str, values_ms: list[float]) -> str:
    return (
        f"{label}: n={len(values_ms)} p50 {pct(values_ms, 50):.2f} ms, "
        f"p95 {pct(values_ms, 95):.2f} ms, max {max(values_ms):.2f} ms"
    )


def enqueue_costs(user, *, n: int, phone_base: int) -> list[float]:
    """messaging_send (render, guard, outbox row) + commit + the broker publish on commit."""
    from messaging.services import messaging_send

    costs = []
    for i in range(n):
        started = time.perf_counter()
        with transaction.atomic():
            messaging_send(
                channel="sms",
                kind="messaging_test",
                context={"note": f"{i:06d}"},
                to_user=user,
                to_address=f"+86139{phone_base + i:08d}",
                secret=True,
            )
        costs.append((time.perf_counter() - started) * 1000)
    return costs


def publish_costs(*, n: int) -> list[float]:
    """One task message to Redis (for id 0, which the worker finds nothing to claim for)."""
    from messaging.tasks import messaging_deliver

    costs = []
    for _ in range(n):
        started = time.perf_counter()
        messaging_deliver.apply_async((0,), retry=False)
        costs.append((time.perf_counter() - started) * 1000)
    return costs


def commit_to_provider(user, gateway, *, n: int) -> list[float]:
    from messaging.services import messaging_send
    from tests.messaging.worker import wait_for

    latencies = []
    for i in range(n):
        committed: list[float] = []
        with transaction.atomic():
            # Registered first, so it runs right after COMMIT, before the publish.
            transaction.on_commit(lambda c=committed: c.append(time.time()))
            message = messaging_send(
                channel="sms",
                kind="messaging_test",
                context={},
                to_user=user,
                to_address=f"+86137{i:08d}",
            )
        ref = str(message.reference)
        seen = wait_for(
            lambda ref=ref: next((s for s in gateway.requests if s.json()["id"] == ref), None),
            timeout=30,
            what="the provider call",
        )
        latencies.append((seen.at - committed[0]) * 1000)
        time.sleep(0.05)  # let the worker go idle again
    return latencies


def main() -> int:
    from messaging.models import OutboxMessage
    from tests.conftest import clear_cache
    from tests.factories import UserFactory
    from tests.messaging.fakes import WebhookGateway
    from tests.messaging.worker import Worker, producer

    sqlite_file = None
    if connection.vendor == "sqlite":  # a file, so the worker process can open it too
        sqlite_file = tempfile.mkstemp(prefix="bench-messaging-", suffix=".sqlite3")[1]
        connection.settings_dict["TEST"]["NAME"] = sqlite_file
    else:
        connection.settings_dict["TEST"]["NAME"] = f"test_bench_messaging_{os.getpid()}"
    for name in ("SMS_CAP_PER_NUMBER_HOUR", "SMS_CAP_PER_ACCOUNT_DAY", "SMS_BUDGET_HOUR"):
        setattr(settings, name, 10**6)
    settings.SMS_BUDGET_DAY = 10**6
    settings.SMS_CAP_PER_NUMBER_DAY = 10**6
    # One bench account gets every message: the notice counter is counted (in the same Redis
    # round trip) but never refuses.
    settings.MESSAGING_NOTICES_PER_ACCOUNT_HOUR = 10**6
    settings.MESSAGING_COURTESY_PER_ACCOUNT_HOUR = 10**6
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    redis_url = os.environ.get("REDIS_URL", "")
    print(f"database: {connection.vendor}; broker: {'Redis' if redis_url else 'none (eager)'}")
    try:
        user = UserFactory(username="bench.user")
        if not redis_url:
            costs = enqueue_costs(user, n=ENQUEUE_N, phone_base=0)
            print(line("enqueue + in-process delivery (no broker)", costs))
            print("commit -> provider call: skipped (needs REDIS_URL for a real worker)")
            return 0
        gateway = WebhookGateway(SECRET).start()
        worker = Worker(
            db_name=connection.settings_dict["NAME"],
            broker_url=redis_url,
            webhook_url=gateway.url + "/sms",
            webhook_secret=SECRET,
        )
        try:
            started = time.perf_counter()
            worker.wait_ready()
            print(f"worker ready in {time.perf_counter() - started:.1f} s")
            with producer(broker_url=redis_url, queue=worker.queue):
                enqueue_costs(user, n=20, phone_base=90_000_000)  # warm-up
                publish = publish_costs(n=ENQUEUE_N)
                costs = enqueue_costs(user, n=ENQUEUE_N, phone_base=0)
                print(line("enqueue (render + outbox row + commit + publish)", costs))
                print(line("  of which the broker publish alone", publish))
                from tests.messaging.worker import wait_for

                wait_for(
                    lambda: not OutboxMessage.objects.exclude(status="sent").exists(),
                    timeout=120,
                    what="the backlog to drain (FIFO: the id-0 tasks went first)",
                )
                gateway.requests.clear()
                latencies = commit_to_provider(user, gateway, n=LATENCY_N)
                print(line("commit -> provider call, idle worker", latencies))
                verdict = "met" if pct(latencies, 95) < 2000 else "MISSED"
                print(f"target p95 < 2000 ms: {verdict} ({pct(latencies, 95) / 2000:.1%} of it)")
                sent = OutboxMessage.objects.filter(status="sent").count()
                calls = len({s.json()["id"] for s in gateway.requests})
                print(f"provider calls per message: {len(gateway.requests) / max(calls, 1):.2f}")
                print(f"messages sent in total: {sent}")
        finally:
            worker.stop()
            gateway.stop()
    finally:
        clear_cache()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if sqlite_file:
            Path(sqlite_file).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
