"""`make bench`: run every bench/bench_*.py in its own process and print what each measures.

Benchmarks are not tests: they print numbers and ratios and never fail a build on timing. Each
script reads the same environment as the portal (DATABASE_URL, REDIS_URL); the README records the
figures measured on the reference machine.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if len(sys.argv) > 1:
        scripts = [s for s in scripts if any(name in s.stem for name in sys.argv[1:])]
    failed = 0
    for script in scripts:
        print(f"\n### {script.stem}", flush=True)
        started = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], cwd=HERE.parent, check=False)
        print(f"({script.stem} took {time.perf_counter() - started:.1f} s)", flush=True)
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
