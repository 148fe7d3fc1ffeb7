"""`make bench`: run every bench/bench_*.py ``BENCH_RUNS`` times (3), each run in its own process,
print what each measures, and write docs/benchmarks.md from bench/benchmarks.md.in and the runs.

Benchmarks are not tests: they print numbers and ratios and never fail a build on timing. Each
script reads the same environment as the portal (DATABASE_URL, REDIS_URL). The rounds alternate
(every script once, then every script again), so a busy spell of the machine falls on all alike.

The document is made from the runs, never by hand: each line a script printed, with every number
that differs between runs written as ``median (min–max)`` (lines are matched between runs by
their text without the numbers). ``python bench/run.py signin sso`` runs only those scripts and
leaves the document alone (``BENCH_DOC=always`` writes it anyway; ``BENCH_DOC=0`` never
does). Raw outputs go to var/bench-out/; ``python bench/run.py --doc-only`` writes the document
again from them.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict, deque
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = ROOT / "var" / "bench-out"
TEMPLATE = HERE / "benchmarks.md.in"
DOC = ROOT / "docs" / "benchmarks.md"
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# A number standing alone (not inside a word such as p50 or Argon2id); "1.2x" counts.
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:,\d{3})*(?:\.\d+)?(?![a-wyzA-Z_\d])")


def _value(token: str) -> float:
    return float(token.replace(",", ""))


def _format(value: float, like: str) -> str:
    decimals = len(like.split(".", 1)[1]) if "." in like else 0
    sign = "+" if like.startswith("+") and value >= 0 else ""
    text = f"{value:,.{decimals}f}" if "," in like else f"{value:.{decimals}f}"
    return sign + text


def spread(values: list[float], like: str = "0.00", printed: str | None = None) -> str:
    """``median (min–max)`` of values, or the one value when they agree (``printed``: as the
    script printed it)."""
    if not values:
        return "n/a"
    med = statistics.median(values)
    if min(values) == max(values):
        return printed if printed is not None else _format(med, like)
    return f"{_format(med, like)} ({_format(min(values), like)}–{_format(max(values), like)})"


def merge(runs: list[list[str]]) -> list[str]:
    """The last run's lines, each number that differs between runs as median (min–max)."""
    if not runs:
        return []
    base, others = runs[-1], runs[:-1]
    pools = []
    for lines in others:
        pool: dict[str, deque] = defaultdict(deque)
        for line in lines:
            pool[NUMBER.sub("#", line)].append(line)
        pools.append(pool)
    merged = []
    for line in base:
        skeleton = NUMBER.sub("#", line)
        matches = [pool[skeleton].popleft() for pool in pools if pool[skeleton]]
        tokens = NUMBER.findall(line)
        columns = [[_value(t)] for t in tokens]
        for other in matches:
            for column, token in zip(columns, NUMBER.findall(other), strict=True):
                column.append(_value(token))
        rest = iter(
            [spread(column, token, token) for column, token in zip(columns, tokens, strict=True)]
        )
        merged.append(NUMBER.sub(lambda _m, rest=rest: next(rest), line))
    return merged


def figure(outputs: list[str], pattern: str, like: str = "0.00") -> str:
    """One figure (the first group of ``pattern``) from every run, as median (min–max)."""
    values = []
    for text in outputs:
        found = re.search(pattern, text)
        if found:
            values.append(_value(found.group(1)))
    return spread(values, like)


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(
            int(line.split()[1]) // 1024**2
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    except (OSError, StopIteration):
        mem = 0
    postgres = redis_version = "n/a"
    try:
        import psycopg

        url = os.environ.get("DATABASE_URL", "")
        if url.startswith("postgres"):
            with psycopg.connect(url, connect_timeout=3) as connection:
                postgres = connection.execute("SHOW server_version").fetchone()[0].split()[0]
    except Exception as error:  # the line says n/a
        print(f"(PostgreSQL's version unknown: {error})")
    try:
        import redis

        if os.environ.get("REDIS_URL"):
            redis_version = redis.Redis.from_url(os.environ["REDIS_URL"]).info()["redis_version"]
    except Exception as error:
        print(f"(Redis's version unknown: {error})")
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, PostgreSQL {postgres}, Redis {redis_version}"
    )


def commit() -> str:
    result = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return result.stdout.strip() or "unknown"


def document(
    outputs: dict[str, list[str]], started: datetime, loads: list[float], rounds: int
) -> str:
    text = TEMPLATE.read_text()
    signin, load = outputs.get("bench_signin", []), outputs.get("bench_load", [])
    summary = [
        (
            "H, one production hash (Argon2id 19 MiB, 2 passes, 1 lane)",
            figure(signin, r"H \(one production hash[^:]*: ([\d.]+) ms") + " ms",
        ),
        (
            "sign-ins per second per core, full request, from CPU time",
            figure(signin, r"per core \(full requests\): ([\d.]+)", "0.0"),
        ),
        (
            "sign-in, full request, p50",
            figure(signin, r"full request, known browser: p50 [\d.]+ ms = ([\d.]+) H", "0.000")
            + " H",
        ),
        (
            "code exchanges per second per core",
            figure(outputs.get("bench_sso", []), r"p95 [\d.]+ ms; (\d+) per second per core", "0"),
        ),
        (
            "load: normal mix p95 under the stuffing wave / without it",
            figure(load, r"under the wave = ([\d.]+)x") + "x",
        ),
        (
            "load: sign-ins a second served during the mix",
            figure(load, r"mix alone:[^\n]*\n(?:  [^\n]*\n)*?  sign-in: \d+ \(([\d.]+)/s\)"),
        ),
    ]
    rows = "\n".join(f"| {label} | {value} |" for label, value in summary)
    knobs = sorted(
        f"{k}={v}" for k, v in os.environ.items() if k.startswith("BENCH_") and k != "BENCH_DOC"
    )
    sizes = f" Knobs of this run: {', '.join(f'`{k}`' for k in knobs)}." if knobs else ""
    header = (
        f"Generated by `make bench` (up to {rounds} run{'s' if rounds != 1 else ''} of each "
        f"script, each block says how many; "
        f"{started:%Y-%m-%d %H:%M} UTC, commit {commit()}); edit `bench/benchmarks.md.in`, not "
        f"this file.\n\n**Machine:** {machine_line()}; load average "
        f"{min(loads):.1f}–{max(loads):.1f} during the run (other work shares the machine: "
        f"figures are medians with min–max over the runs).{sizes}\n\n"
        f"| headline | median (min–max) |\n| --- | --- |\n{rows}\n"
    )
    text = text.replace("<!-- figures:header -->", header)
    for stem, runs in outputs.items():
        block = "\n".join(merge([r.splitlines() for r in runs]))
        text = text.replace(
            f"<!-- figures:{stem} -->",
            f"Last run, median (min–max) over {len(runs)} run{'s' if len(runs) != 1 else ''}:"
            f"\n\n```text\n{block}\n```",
        )
    return re.sub(r"<!-- figures:(\w+) -->", r"(`\1` did not run)", text)


def doc_only() -> int:
    """Write the document again from var/bench-out (each script's runs, ``<stem>.<n>.txt``) and
    var/bench-out/loads.txt (``HH:MM:SS load`` lines), e.g. after editing the template, or when
    a run was stopped part-way through a round: each block says over how many runs it is."""
    outputs: dict[str, list[str]] = defaultdict(list)
    files = sorted(
        OUT.glob("bench_*.*.txt"), key=lambda p: (p.name.split(".")[0], p.stat().st_mtime)
    )
    for path in files:
        if path.read_text().strip():
            outputs[path.name.split(".")[0]].append(path.read_text())
    if not outputs:
        print(f"nothing in {OUT}")
        return 1
    started = datetime.fromtimestamp(min(p.stat().st_mtime for p in files), UTC)
    loads_file = OUT / "loads.txt"
    loads = [float(line.split()[1]) for line in loads_file.read_text().splitlines() if line.strip()]
    rounds = max(len(v) for v in outputs.values())
    DOC.write_text(document(dict(outputs), started, loads or [os.getloadavg()[0]], rounds))
    print(f"wrote {DOC.relative_to(ROOT)} from {len(files)} outputs in {OUT}")
    return 0


def main() -> int:
    if sys.argv[1:] == ["--doc-only"]:
        return doc_only()
    scripts = sorted(HERE.glob("bench_*.py"))
    chosen = sys.argv[1:]
    if chosen:
        scripts = [s for s in scripts if any(name in s.stem for name in chosen)]
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("*") if not chosen else ():  # the document is the last run's alone
        stale.unlink()
    started, loads = datetime.now(UTC), [os.getloadavg()[0]]
    outputs: dict[str, list[str]] = {s.stem: [] for s in scripts}
    failed = 0
    for round_no in range(1, RUNS + 1):
        for script in scripts:
            print(f"\n### {script.stem} (run {round_no} of {RUNS})", flush=True)
            began = time.perf_counter()
            # A chosen script's runs add to those already there (--doc-only merges them all).
            index = len(list(OUT.glob(f"{script.stem}.*.txt"))) + 1 if chosen else round_no
            with open(OUT / f"{script.stem}.{index}.err", "w") as errors:
                result = subprocess.run(
                    [sys.executable, str(script)],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    stderr=errors,
                    text=True,
                    check=False,
                )
            print(result.stdout, end="", flush=True)
            (OUT / f"{script.stem}.{index}.txt").write_text(result.stdout)
            print(f"({script.stem} took {time.perf_counter() - began:.1f} s)", flush=True)
            loads.append(os.getloadavg()[0])
            with open(OUT / "loads.txt", "a") as log:
                log.write(f"{datetime.now(UTC):%H:%M:%S} {loads[-1]:.2f}\n")
            if result.returncode:
                failed += 1
                print(f"{script.stem} failed: see {OUT / f'{script.stem}.{index}.err'}")
            else:
                outputs[script.stem].append(result.stdout)
        # After every round, so a run cut short still leaves the document of the rounds done.
        wanted = os.environ.get("BENCH_DOC", "1")
        if (not chosen and wanted != "0") or wanted == "always":
            done = {k: v for k, v in outputs.items() if v}
            DOC.write_text(document(done, started, loads, round_no))
            print(f"\nwrote {DOC.relative_to(ROOT)} ({round_no} of {RUNS} rounds)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
