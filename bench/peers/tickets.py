"""The ticket list an agent opens first, at 1 000 and 100 000 tickets (500 open, the rest closed
over 400 days): ``python bench/peers/tickets.py helpdesk`` (django-helpdesk 2.6.1's ticket list:
its page, and the DataTables JSON of its first 50 rows that the page then fetches; the sum is
what an agent waits for) or ``ours`` (the
agent queue of bench/bench_tickets.py, its default view). Prints JSON: p50 ms per size.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

SIDE = sys.argv[1]
ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
SIZES = [1000, 100_000]
N = int(os.environ.get("BENCH_PEERS_N", "20"))
OPEN = 500


def timed(get) -> float:
    get()  # warm
    times = []
    for _ in range(N):
        started = time.perf_counter()
        get()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def ours() -> dict:
    # First: on import it makes its own throwaway database and sets Django up on it.
    bench = importlib.import_module("bench.bench_tickets")
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    setup_test_environment()
    out = {}
    try:
        call_command("migrate", verbosity=0)
        client, agents, employees = bench.setup_people()
        have = 0
        for size in SIZES:
            bench.add_tickets(have, size - have, employees, agents)
            have = size
            out[str(size)] = timed(lambda: client.get(bench.QUEUE))
    finally:
        if bench.SERVER:
            bench._postgres_drop(bench.SERVER)
    return out


def helpdesk() -> dict:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peers.helpdesk_peer.settings"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone
    from helpdesk.models import Queue, Ticket

    from bench._common import test_db_create

    setup_test_environment()
    destroy = test_db_create("peers_helpdesk")
    out = {}
    try:
        User = get_user_model()
        agents = [User.objects.create_user(f"agent{i}", is_staff=True) for i in range(8)]
        queue = Queue.objects.create(title="Unlock requests", slug="unlock")
        client = Client()
        client.force_login(agents[0])
        now, have = timezone.now(), 0
        for size in SIZES:
            batch = []
            for n in range(have, size):
                is_open = n < OPEN
                span = 2 * 24 * 60 if is_open else 400 * 24 * 60
                created = now - timedelta(minutes=(n * 7919) % span)
                status = (
                    (Ticket.OPEN_STATUS if n % 2 else Ticket.REOPENED_STATUS)
                    if is_open
                    else (Ticket.CLOSED_STATUS)
                )
                batch.append(
                    Ticket(
                        title=f"Locked out: employee{n % 5000:05d}",
                        queue=queue,
                        created=created,
                        modified=created,
                        submitter_email=f"employee{n % 5000:05d}@corp.example.cn",
                        assigned_to=agents[n % 8] if n % 4 else None,
                        status=status,
                        description="Locked out after the holiday.",
                        priority=3,
                    )
                )
                if len(batch) == 5000:
                    Ticket.objects.bulk_create(batch)
                    batch = []
            if batch:
                Ticket.objects.bulk_create(batch)
            have = size
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            page = client.get("/helpdesk/tickets/")
            assert page.status_code == 200, page.status_code
            found = re.search(r"datatables_ticket_list/([A-Za-z0-9+/=_-]+)", page.content.decode())
            assert found, "no DataTables URL on the ticket list page"
            data = "/helpdesk/datatables_ticket_list/" + found.group(1)
            params = {"draw": 1, "start": 0, "length": 50, "order[0][column]": 0}

            def rows(data=data, params=params):
                response = client.get(data, params)
                assert response.status_code == 200, response.status_code
                assert len(response.json()["data"]) == 50

            out[f"{size}_page"] = timed(lambda: client.get("/helpdesk/tickets/"))
            out[f"{size}_rows"] = timed(rows)
            out[str(size)] = out[f"{size}_page"] + out[f"{size}_rows"]
    finally:
        destroy()
    return out


if __name__ == "__main__":
    print(json.dumps(helpdesk() if SIDE == "helpdesk" else ours()))
