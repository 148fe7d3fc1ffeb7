"""Password reset: does the answer's timing tell whether an account exists?

Prints, in one run:
- POST /accounts/password/reset/ (start) for a real account, an unknown name, a disabled account
  and an account without a verified contact: p50/p95 and the ratio to the unknown name (target:
  within 1.10, and the p50 difference below 1 ms);
- POST /accounts/password/reset/verify/ with a wrong code, for a real flow and an unknown one;
- the dispatch task that finds the account and queues the code (runs in the worker, not in the
  request): p50;
- with PostgreSQL and Redis: a wrong code sent 0 to 200 ms after the start while a real Celery
  worker dispatches the flow, for the four kinds, interleaved (``tests/reset/reset_timing.py``,
  the same measure as the PostgreSQL test): p50 per kind and delay, its gap to an unknown name,
  and the p50's noise.

The requests run as in production: the dispatch task is handed to a broker (Celery's in-memory
transport here, never a shared Redis) instead of running inline. Standalone: the test settings on a
throwaway database (SQLite file, or PostgreSQL when DATABASE_URL is set), caps raised so that
every request does its full work.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench._common import test_db_create  # noqa: E402

N = int(os.environ.get("BENCH_RESET_N", "150"))
START = "/accounts/password/reset/"
VERIFY = "/accounts/password/reset/verify/"
NO_CAPS = {
    "CODE_SENDS_PER_HOUR": 10**6,
    "CODE_SMS_PER_HOUR": 10**6,
    "RESET_IP_SENDS_PER_HOUR": 10**6,
    "RESET_IP_FAILURES_PER_HOUR": 10**6,
    "RESET_BLOCK_AFTER_FAILURES": 10**6,
    "CODE_RESEND_COOLDOWN_SECONDS": 0,
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def start_once(identifier: str) -> tuple[float, Client]:
    client = Client()
    started = time.perf_counter()
    response = client.post(START, {"identifier": identifier, "channel": "email"})
    elapsed = time.perf_counter() - started
    assert response.status_code == 302, response.status_code
    return elapsed, client


def main() -> int:
    from celery import current_app

    from reset.dispatch import reset_dispatch
    from reset.flow import SESSION_KEY
    from reset.models import ResetFlow
    from tests.factories import UserFactory

    current_app.conf.task_always_eager = False
    current_app.conf.broker_url = "memory://"
    test_db_destroy = test_db_create("reset")
    caps = override_settings(**NO_CAPS)
    caps.enable()
    print(f"database: {connection.vendor}; {os.cpu_count()} cores; n={N} per case")
    try:
        UserFactory(username="real.person")
        UserFactory(username="left.company", is_active=False)
        UserFactory(username="no.contact", email_verified_at=None, phone_verified_at=None)
        cases = {
            "unknown name": "nobody.here",
            "real account": "real.person",
            "disabled account": "left.company",
            "no verified contact": "no.contact",
        }
        for identifier in cases.values():  # warm-up
            for _ in range(5):
                start_once(identifier)
        times: dict[str, list[float]] = {case: [] for case in cases}
        for _ in range(N):  # interleaved, so drift hits every case alike
            for case, identifier in cases.items():
                times[case].append(start_once(identifier)[0])
        base = statistics.median(times["unknown name"])
        print("start a reset (POST, 302 to the code page):")
        for case, values in times.items():
            p50, p95 = pct(values, 50), pct(values, 95)
            print(
                f"  {case:<20} p50 {p50 * 1000:6.2f} ms  p95 {p95 * 1000:6.2f} ms  "
                f"p50 ratio to unknown {p50 / base:.3f}  diff {(p50 - base) * 1000:+.2f} ms"
            )

        # Flows first (their dispatch runs here as it would in the worker), then the wrong codes,
        # interleaved: a verify request never runs right after a dispatch in the same process.
        dispatch = []
        flows: dict[str, list[Client]] = {"unknown name": [], "real account": []}
        for _ in range(N):
            for case in flows:
                _elapsed, client = start_once(cases[case])
                flow = ResetFlow.objects.order_by("-pk").first()
                started = time.perf_counter()
                reset_dispatch(flow_id=flow.pk, send_no=flow.sends)
                if case == "real account":
                    dispatch.append(time.perf_counter() - started)
                assert client.session[SESSION_KEY]
                flows[case].append(client)
        verify: dict[str, list[float]] = {case: [] for case in flows}
        for index in range(N):
            for case in flows:
                client = flows[case][index]
                started = time.perf_counter()
                response = client.post(VERIFY, {"code": "000000", "action": "verify"})
                verify[case].append(time.perf_counter() - started)
                assert response.status_code in (400, 302), response.status_code
        base = statistics.median(verify["unknown name"])
        print("a wrong code (POST, 400):")
        for case, values in verify.items():
            p50 = pct(values, 50)
            print(
                f"  {case:<20} p50 {p50 * 1000:6.2f} ms  p95 {pct(values, 95) * 1000:6.2f} ms  "
                f"p50 ratio to unknown {p50 / base:.3f}  diff {(p50 - base) * 1000:+.2f} ms"
            )
        print(
            f"dispatch task (account lookup, device, outbox row; in the worker): "
            f"p50 {pct(dispatch, 50) * 1000:.2f} ms  p95 {pct(dispatch, 95) * 1000:.2f} ms"
        )
        live_worker(connection.settings_dict["NAME"])
    finally:
        caps.disable()
        test_db_destroy()
    return 0


def live_worker(db_name: str) -> None:
    from tests.messaging.worker import Worker, dead_port, producer
    from tests.reset import reset_timing

    redis_url = os.environ.get("REDIS_URL", "")
    if connection.vendor != "postgresql" or not redis_url:
        print(
            "a wrong code while a real worker dispatches: not measured (needs PostgreSQL and Redis)"
        )
        return
    rounds = int(os.environ.get("BENCH_RESET_LIVE_ROUNDS", "25"))
    url = f"http://127.0.0.1:{dead_port()}/sms"
    worker = Worker(db_name=db_name, broker_url=redis_url, webhook_url=url, webhook_secret="x")
    try:
        worker.wait_ready()
        with producer(broker_url=redis_url, queue=worker.queue):
            names = reset_timing.make_identifiers(rounds, tag="bench")
            timings = reset_timing.measure(names, rounds=rounds)
    finally:
        worker.stop()
    print(
        f"a wrong code at each delay after the start, a real Celery worker dispatching "
        f"(p50 ms, gap to an unknown name; n={rounds} per cell):"
    )
    for line in timings.table():
        print(line)
    kind, delay, gap = timings.worst()
    print(f"  largest gap: {gap:+.2f} ms ({kind}, {delay} ms after the start)")


if __name__ == "__main__":
    sys.exit(main())
