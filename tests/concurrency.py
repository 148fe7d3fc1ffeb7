"""Running one step from many threads at once, for the concurrency tests (PostgreSQL, Redis)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def at_once(n: int, job: Callable[[int, Callable[[], None]], Any]) -> list[Any]:
    """Run ``job(i, start)`` in ``n`` threads and return what each returned. Each job calls
    ``start()`` right before its contended step, so those steps begin together. Errors in any
    thread fail the test; each thread closes its own database connection."""
    barrier = threading.Barrier(n)
    results: list[Any] = []
    errors: list[BaseException] = []

    def one(i: int) -> None:
        try:
            results.append(job(i, lambda: barrier.wait(timeout=30)))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results
