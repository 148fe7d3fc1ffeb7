"""Tickets: the agents' queue page (/admin/tickets/ticket/) at 1 000 and 100 000 requests.

Prints the queue page's p50/p95 (a full admin request: session, OTP check, filters, the bounded
count, 50 rows with account, assignee and the account's lock state now) for the default view
(open requests by deadline) and for the views agents use (all, locked now, SLA breached, search by
username / reference / lock reference, assigned to me, a later page), at 1 000 and at 100 000
requests, and the ratio 100 000 / 1 000 (target: at most 2x). Also the query count per page (the
same at both sizes).

Needs PostgreSQL: with DATABASE_URL=postgres://user@host:port/anything it creates a throwaway
database ``portal_bench_tickets`` on that server and drops it afterwards. Without it, it runs on
a temporary SQLite file and says so (SQLite figures are not the reference).
``BENCH_TICKETS_SIZES=1000,100000`` and ``BENCH_TICKETS_N=30`` tune it.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

BENCH_DB = "portal_bench_tickets"
SIZES = [int(s) for s in os.environ.get("BENCH_TICKETS_SIZES", "1000,100000").split(",")]
N = int(os.environ.get("BENCH_TICKETS_N", "30"))
QUEUE = "/admin/tickets/ticket/"


def _postgres_setup() -> str | None:
    """Point DATABASE_URL at a fresh ``portal_bench_tickets``; return the server URL to drop it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))
    return server


def _postgres_drop(server: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


SERVER = _postgres_setup()
if SERVER is None:
    _tmp = tempfile.mkdtemp(prefix="bench-tickets-")
    os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def setup_people():
    from django.contrib.auth.models import Group
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from accounts.roles import HELPDESK_AGENTS
    from accounts.services import roles_sync

    roles_sync()
    group = Group.objects.get(name=HELPDESK_AGENTS)
    agents = []
    for i in range(8):
        agent = User.objects.create_user(f"agent{i}", is_staff=True)
        agent.groups.add(group)
        agents.append(agent)
    User.objects.bulk_create(
        [
            User(username=f"employee{i:05d}", email=f"employee{i:05d}@corp.example.cn")
            for i in range(5000)
        ],
        batch_size=2000,
    )
    employees = list(User.objects.filter(username__startswith="employee").order_by("id"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    device = TOTPDevice.objects.create(user=agents[0], name="bench", confirmed=True)
    client.force_login(agents[0])
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client, agents, employees


def add_locks(employees) -> None:
    """Active account locks for 200 employees, as the sign-in app writes them."""
    from datetime import timedelta

    from django.utils import timezone

    from signin.models import Lock, Scope

    now = timezone.now()
    Lock.objects.bulk_create(
        [
            Lock(
                reference=f"LK-B{i:04d}",
                scope=Scope.ACCOUNT,
                key=user.username.casefold(),
                username=user.username,
                user=user,
                locked_at=now - timedelta(minutes=5),
                locked_until=now + timedelta(minutes=25),
                minutes=30,
                failures=5,
            )
            for i, user in enumerate(employees[::25])
        ]
    )


CAL = None  # the SLA calendar, read once (django is set up by then)


OPEN_BACKLOG = int(os.environ.get("BENCH_TICKETS_OPEN", "500"))


def add_tickets(start: int, count: int, employees, agents) -> None:
    """``count`` requests. The first OPEN_BACKLOG are open (new, in progress, waiting, approval),
    filed over the last two days with deadlines before and after now; the rest are closed, spread
    over 400 days: the backlog agents work on does not grow with the history kept. A tenth are
    for names that match no account."""
    import secrets
    from datetime import timedelta

    from django.utils import timezone

    from tickets import sla
    from tickets.models import Resolution, Ticket, TicketStatus

    global CAL
    CAL = CAL or sla.Calendar.current()

    S = TicketStatus
    now = timezone.now()
    open_cycle = [S.NEW, S.IN_PROGRESS, S.WAITING, S.APPROVAL]
    batch = []
    for n in range(start, start + count):
        user = None if n % 10 == 7 else employees[n % len(employees)]  # locked: every 25th
        is_open = n < OPEN_BACKLOG
        span = 2 * 24 * 60 if is_open else 400 * 24 * 60
        created = now - timedelta(minutes=(n * 7919) % span)
        status = open_cycle[n % 4] if is_open else (S.RESOLVED if n % 13 else S.REJECTED)
        first_due = sla.business_add(created, 30, calendar=CAL)
        resolution_due = sla.business_add(created, 240, calendar=CAL)
        due = None
        if is_open and status != S.WAITING:
            due = first_due if status == S.NEW else resolution_due
        name = user.username if user else f"ghost{n}"
        batch.append(
            Ticket(
                reference=f"UNL-2026-{n + 1:06d}",
                token_hash=secrets.token_hex(32),
                status=status,
                resolution=""
                if is_open
                else (Resolution.SOLVED if status == S.RESOLVED else Resolution.REJECTED),
                user=user,
                username=name,
                account_key=name.casefold(),
                account_unknown=user is None,
                # Requests filed from the lock page carry that lock's reference.
                lock_reference=f"LK-B{n // 25:04d}" if user and n < 5000 and n % 25 == 0 else "",
                problem_since="hour",
                tried=["waited"],
                description="Locked out after the holiday.",
                assignee=agents[n % len(agents)] if status != S.NEW else None,
                first_response_due=first_due,
                resolution_due=resolution_due,
                due_at=due,
                created_at=created,
                updated_at=created,
                resolved_at=None if is_open else created + timedelta(hours=1),
            )
        )
        if len(batch) == 5000:
            Ticket.objects.bulk_create(batch)
            batch = []
    if batch:
        Ticket.objects.bulk_create(batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def measure(client, url: str) -> tuple[float, float, int, int]:
    rows = len(client.get(url).context["cl"].result_list)  # warm: templates, notice cache
    times = []
    for _ in range(N):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), pct(times, 95), len(queries), rows


def explain(client, url: str) -> None:
    """BENCH_TICKETS_EXPLAIN=1: PostgreSQL's plan of each ticket query of the page."""
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    for query in queries.captured_queries:
        if "tickets_ticket" not in query["sql"]:
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN ANALYZE " + query["sql"])
            plan = "\n    ".join(row[0] for row in cursor.fetchall())
        print(f"  {url}\n    {plan}")


def main() -> None:
    client, agents, employees = setup_people()
    add_locks(employees)
    views = {
        "open, by deadline (default)": QUEUE,
        "all statuses": QUEUE + "?status=all",
        "account locked now": QUEUE + "?locked=yes",
        "SLA breached": QUEUE + "?sla=breached",
        "assigned to me": QUEUE + "?assignee=me&status=all",
        "search username": QUEUE + "?status=all&q=employee00042",
        "search reference": QUEUE + "?status=all&q=UNL-2026-000500",
        "search lock ref": QUEUE + "?status=all&q=LK-B0004",
        "page 3 of all": QUEUE + "?status=all&p=2",
    }
    results: dict[int, dict[str, tuple[float, float, int]]] = {}
    have = 0
    for size in SIZES:
        add_tickets(have, size - have, employees, agents)
        have = size
        results[size] = {name: measure(client, url) for name, url in views.items()}
    if os.environ.get("BENCH_TICKETS_EXPLAIN") and connection.vendor == "postgresql":
        for url in views.values():
            explain(client, url)

    note = "" if SERVER else " (not the reference: set DATABASE_URL to PostgreSQL)"
    print(f"database: {connection.vendor}{note}")
    print(f"requests per view: {N} (after one warm-up); 50 rows per page")
    head = f"{'queue view':30}" + "".join(f"{f'{s:,} p50/p95 ms':>22}" for s in SIZES)
    head += f"{'ratio':>8}{'queries':>9}{'rows':>10}"
    print(head)
    first, last = SIZES[0], SIZES[-1]
    worst = 0.0
    for name in views:
        cells = "".join(f"{results[s][name][0]:>12.1f} /{results[s][name][1]:>7.1f}" for s in SIZES)
        ratio = results[last][name][0] / results[first][name][0]
        worst = max(worst, ratio)
        queries = "/".join(map(str, sorted({results[s][name][2] for s in SIZES})))
        rows = "/".join(str(results[s][name][3]) for s in SIZES)
        print(f"{name:30}{cells}{ratio:>7.2f}x{queries:>9}{rows:>10}")
    default = "open, by deadline (default)"
    ratio = results[last][default][0] / results[first][default][0]
    print(
        f"queue page p50 at {last:,} vs {first:,} requests: default view {ratio:.2f}x, "
        f"worst view {worst:.2f}x (target: at most 2x)"
    )


if __name__ == "__main__":
    setup_test_environment()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
        main()
    finally:
        if SERVER:
            _postgres_drop(SERVER)
