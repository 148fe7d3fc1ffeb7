"""The reset's wrong-code answer takes the same time for every kind of identifier while a real
Celery worker (its own process, on Redis and this run's PostgreSQL database) looks the account up
and queues the code: the verify step waits on nothing the worker holds."""

from __future__ import annotations

import os

import pytest

from tests.messaging.worker import Worker, dead_port, producer
from tests.reset.reset_timing import KINDS, NO_CAPS, make_identifiers, measure

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROUNDS = 12
# A gap is "above noise" when it is larger than this many standard errors of the difference of
# two p50s and than a floor. The wait on the worker's lock this guards against cost 12 to 30 ms on
# every sample; a 2-core machine whose worker renders and sends the real account's message while
# the request runs can shift one cell by a few ms now and then. So a cell above the limit is
# measured again, with fresh identifiers, and the test fails when the same kind is above the
# limit at that delay both times: a lasting gap fails, a passing jolt of CPU does not.
NOISE_FACTOR = 5
FLOOR_MS = 3.0


def _over_limit(timings) -> list[tuple[str, int, float, float]]:
    """(kind, delay, gap, limit) of each cell whose gap to an unknown name is above noise."""
    cells = []
    for delay in timings.delays():
        for kind in KINDS[1:]:
            limit = max(FLOOR_MS, NOISE_FACTOR * timings.noise_ms(delay, kind))
            gap = timings.gap_ms(kind, delay)
            if abs(gap) > limit:
                cells.append((kind, delay, gap, limit))
    return cells


@pytest.fixture
def worker(django_db_blocker, settings):
    from django.db import connection

    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
    url = f"http://127.0.0.1:{dead_port()}/sms"
    process = Worker(
        db_name=db_name, broker_url=os.environ["REDIS_URL"], webhook_url=url, webhook_secret="x"
    )
    try:
        process.wait_ready()
        with producer(broker_url=process.broker_url, queue=process.queue):
            yield process
    finally:
        process.stop()


def test_a_wrong_code_takes_the_same_time_for_every_kind_at_every_moment(worker, settings):
    for name, value in NO_CAPS.items():
        setattr(settings, name, value)
    timings = measure(make_identifiers(ROUNDS), rounds=ROUNDS)
    flagged = _over_limit(timings)
    if not flagged:
        return
    delays = sorted({delay for _kind, delay, _gap, _limit in flagged})
    names = make_identifiers(ROUNDS, tag="again", delays=len(delays))
    again = measure(names, rounds=ROUNDS, seed=13, delays=delays)
    lasting = {(kind, delay) for kind, delay, _gap, _limit in _over_limit(again)}
    report = "\n".join([*timings.table(), "measured again:", *again.table()])
    for kind, delay, gap, limit in flagged:
        assert (kind, delay) not in lasting, (
            f"{kind} at {delay} ms after the start: {gap:+.2f} ms from an unknown name, and "
            f"{again.gap_ms(kind, delay):+.2f} ms measured again (limit {limit:.2f} ms)\n{report}"
        )
