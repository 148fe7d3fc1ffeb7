"""The reset's wrong-code answer takes the same time for every kind of identifier while a real
Celery worker (its own process, on Redis and this run's PostgreSQL database) looks the account up
and queues the code: the verify step waits on nothing the worker holds."""

from __future__ import annotations

import os

import pytest

from tests.accounts.reset_timing import DELAYS_MS, KINDS, NO_CAPS, make_identifiers, measure
from tests.messaging.worker import Worker, dead_port, producer

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

ROUNDS = 12
# A gap is "above noise" when it is larger than this many standard errors of a p50 and than a
# floor: 18 comparisons in a run, each false alarm about 1 in 10 000 at the floor on a quiet
# machine (a p50's standard error there is about 0.5 ms), while the wait on the worker's lock
# this guards against cost 12 to 30 ms.
NOISE_FACTOR = 5
FLOOR_MS = 3.0


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
    names = make_identifiers(ROUNDS)
    timings = measure(names, rounds=ROUNDS)
    report = "\n".join(timings.table())
    for delay in DELAYS_MS:
        limit = max(FLOOR_MS, NOISE_FACTOR * timings.noise_ms(delay))
        for kind in KINDS[1:]:
            gap = timings.gap_ms(kind, delay)
            assert abs(gap) <= limit, (
                f"{kind} at {delay} ms after the start: {gap:+.2f} ms from an unknown name "
                f"(limit {limit:.2f} ms)\n{report}"
            )
