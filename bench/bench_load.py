"""Load: a Monday-morning mix through the production stack, then the same mix under a
credential-stuffing wave (locust, headless, bounded in time, loopback only).

Brings up a stack of its own (``deploy/stack.py``: nginx with TLS, two gunicorn nodes, a worker,
beat, a Redis of its own) on its own ports and database (``<DATABASE_URL's name>_bench_load``),
seeds employees, a victim and a trusted OIDC client, warms the nodes up, then runs
``bench/load/drive.py`` twice for ``BENCH_LOAD_SECONDS`` (30; the wave longer, until both
attackers went past their limits, at most 4x) with ``BENCH_LOAD_USERS`` (12)
simulated employees: the mix alone, then the mix with the wave. Prints per request kind the
count, the rate and p50/p95/p99; the normal mix's p95 without and with the wave (target: within
2x); and what the wave met: the per-IP block (one address, many names, each attempt with a
forged ``X-Forwarded-For``), the account lock (many addresses, one name) and the owner's known
browser (must still get in). Stops the stack and drops its database at the end.

Needs locust: run it with the bench environment (``make bench`` builds ``var/bench-venv``).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "30"))
USERS = int(os.environ.get("BENCH_LOAD_USERS", "12"))
WAVE_RATE = os.environ.get("BENCH_LOAD_WAVE_RATE", "10")  # attempts a second per attacker
PORTS = {
    "STACK_HTTPS_PORT": "18643",
    "STACK_HTTP_PORT": "18680",
    "STACK_WEB_PORTS": "18601,18602",
    "STACK_REDIS_PORT": "16681",
}
MIX_KINDS = (
    "sign-in",
    "wrong password",
    "reset start",
    "unlock request",
    "sign-in (before OIDC)",
    "OIDC authorize",
    "OIDC token",
    "sign-out",
)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else 0


def database_url() -> tuple[str, str]:
    """The stack's database URL (same server as DATABASE_URL, a name of the bench's own) and
    the maintenance database's URL to create and drop it from."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    parts = urlsplit(base)
    name = parts.path.lstrip("/") or "portal"
    own = urlunsplit(parts._replace(path=f"/{name}_bench_load"))
    return own, urlunsplit(parts._replace(path="/postgres"))


def psql(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def stack(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "stack.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"stack {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


LIMITS = {
    "ip": int(os.environ.get("LOCKOUT_IP_FAILURE_LIMIT", "30")),
    "account": int(os.environ.get("LOCKOUT_FAILURE_LIMIT", "5")),
}


def drive(seed: Path, url: str, seconds: float, phase: str) -> dict:
    command = [sys.executable, str(ROOT / "bench" / "load" / "drive.py"), str(seed), url]
    limits = [str(LIMITS["ip"]), str(LIMITS["account"])]
    result = subprocess.run(
        [*command, str(seconds), str(USERS), phase, WAVE_RATE, *limits],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"drive {phase} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


def report(label: str, run: dict) -> list[float]:
    """Print the run's figures per kind; return the normal mix's times (ms)."""
    by_kind: dict[str, list[float]] = {}
    bad: dict[str, int] = {}
    for _group, kind, status, ms in run["samples"]:
        by_kind.setdefault(kind, []).append(ms)
        if status >= 500:
            bad[kind] = bad.get(kind, 0) + 1
    seconds = run["seconds"]
    total = sum(len(v) for k, v in by_kind.items() if not k.startswith("warm-up"))
    print(f"{label}: {total / seconds:.1f} requests a second over {seconds:.0f} s")
    for kind in sorted(by_kind, key=lambda k: (k not in MIX_KINDS, k)):
        if kind.startswith(("warm-up", "owner: first")):
            continue
        times = by_kind[kind]
        print(
            f"  {kind}: {len(times)} ({len(times) / seconds:.2f}/s), p50 {pct(times, 50):.0f} ms, "
            f"p95 {pct(times, 95):.0f} ms, p99 {pct(times, 99):.0f} ms, 5xx {bad.get(kind, 0)}"
        )
    return [
        ms for group, kind, status, ms in run["samples"] if group == "mix" and kind in MIX_KINDS
    ]


def wave_checks(run: dict, limits: dict[str, int]) -> None:
    checks = run["checks"]
    one_ip = checks["one_ip"]
    first = one_ip.index(429) if 429 in one_ip else None
    after = one_ip[first:] if first is not None else []
    held = first is not None and after.count(429) == len(after)
    verdict = "the per-IP block holds" if held else "NOT HELD"
    if first is None and len(one_ip) < limits["ip"]:
        verdict = f"the limit was not reached in this run ({len(one_ip)} attempts)"
    print(
        f"  one address, many names (forged X-Forwarded-For each time): {len(one_ip)} attempts; "
        f"first refused: attempt {first + 1 if first is not None else 'never'} "
        f"(per-IP limit {limits['ip']} failures); after the block {after.count(429)} refused, "
        f"{len(after) - after.count(429)} let through: " + verdict
    )
    one_name = checks["one_name"]
    first = one_name.index(429) if 429 in one_name else None
    after = one_name[first:] if first is not None else []
    print(
        f"  many addresses, one name: {len(one_name)} attempts from {len(one_name)} addresses; "
        f"first refused: attempt {first + 1 if first is not None else 'never'} "
        f"(account limit {limits['account']} failures); after the lock {after.count(429)} refused, "
        f"{len(after) - after.count(429)} checked"
    )
    owner = checks["owner"]
    print(
        f"  the owner's known browser during the wave: {owner.count(302)} of {len(owner)} "
        f"sign-ins got in{'' if owner and owner.count(302) == len(owner) else ' — NOT MET'}"
    )
    mix = [s for s in run["samples"] if s[0] == "mix" and s[1] == "sign-in"]
    ok = sum(1 for s in mix if s[2] == 302)
    print(f"  employees' known browsers during the wave: {ok} of {len(mix)} sign-ins got in")


def main() -> int:
    if not (ROOT / "deploy" / "stack.py").exists():
        print("skipped: deploy/stack.py (make stack) is not in this checkout")
        return 0
    own_url, admin_url = database_url()
    name = urlsplit(own_url).path.lstrip("/")
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {
        **os.environ,
        **PORTS,
        "STACK_DIR": str(ROOT / "var" / "bench-stack"),
        "STACK_DATABASE_URL": own_url,
    }
    psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        stack(env, "up")
        print(
            f"stack up in {time.perf_counter() - started:.0f} s: nginx (TLS), 2 gunicorn nodes "
            f"({os.environ.get('GUNICORN_WORKERS', '2')} sync workers each), worker, beat, Redis"
        )
        node_env = {**env}
        for line in stack(env, "env").splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                node_env[key] = shlex.split(value)[0] if value else ""
        seed_file = workdir / "seed.json"
        seed = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "load" / "seed.py")],
            env=node_env,
            capture_output=True,
            text=True,
            check=True,
        )
        seed_file.write_text(seed.stdout)
        url = node_env["PORTAL_BASE_URL"]
        print(
            f"{len(json.loads(seed.stdout)['employees'])} employees seeded; {USERS} simulated "
            f"at once, each waiting 0.5-2 s between tasks; wave: 2 attackers at {WAVE_RATE}/s each"
        )
        drive(seed_file, url, 10, "mix")  # warm-up: every worker imported and connected
        without = report("mix alone", drive(seed_file, url, SECONDS, "mix"))
        wave = drive(seed_file, url, SECONDS, "wave")
        with_wave = report("mix under the stuffing wave", wave)
        wave_checks(wave, LIMITS)
        p95, p95_wave = pct(without, 95), pct(with_wave, 95)
        print(
            f"normal mix p95: {p95:.0f} ms alone, {p95_wave:.0f} ms under the wave = "
            f"{p95_wave / p95:.2f}x (target <= 2x); p50 {pct(without, 50):.0f} / "
            f"{pct(with_wave, 50):.0f} ms"
        )
    finally:
        stack(env, "down")
        psql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
