"""Does a wrong reset code answer in the same time whatever the identifier matched, at every moment
after the start, while a real Celery worker handles the flow's dispatch?

Shared by the PostgreSQL test (``test_reset_timing_live.py``) and ``make bench``
(``bench/bench_reset.py``). One sample: start a reset as a browser would (``POST`` the start
form, 302), wait ``delay`` seconds of real time (the worker runs in real time: this is its
clock, not ours), send a wrong code from the same browser and time that request. The four kinds
of identifier and the delays are interleaved in a shuffled order, each sample on a fresh
identifier (so no cap or streak of an earlier sample touches it), and the next sample starts only
once the worker has finished with the last one.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.test import Client

START = "/accounts/password/reset/"
VERIFY = "/accounts/password/reset/verify/"
KINDS = ("unknown name", "real account", "disabled account", "no verified contact")
DELAYS_MS = (0, 5, 10, 20, 50, 200)
# Every cap raised, so that each request does its full work (the caps' own sameness is tested
# elsewhere).
NO_CAPS = {
    "CODE_SENDS_PER_HOUR": 10**6,
    "CODE_SMS_PER_HOUR": 10**6,
    "RESET_IP_SENDS_PER_HOUR": 10**6,
    "RESET_IP_FAILURES_PER_HOUR": 10**6,
    "RESET_BLOCK_AFTER_FAILURES": 10**6,
    "CODE_RESEND_COOLDOWN_SECONDS": 0,
}


def make_identifiers(rounds: int, *, tag: str = "t") -> dict[str, list[str]]:
    """``rounds`` fresh identifiers of each kind (the accounts created in the database)."""
    from tests.factories import UserFactory

    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    count = rounds * len(DELAYS_MS)
    for i in range(count):
        UserFactory(username=f"{tag}-real-{i}")
        UserFactory(username=f"{tag}-gone-{i}", is_active=False)
        UserFactory(username=f"{tag}-bare-{i}", email_verified_at=None, phone_verified_at=None)
        names["unknown name"].append(f"{tag}-nobody-{i}")
        names["real account"].append(f"{tag}-real-{i}")
        names["disabled account"].append(f"{tag}-gone-{i}")
        names["no verified contact"].append(f"{tag}-bare-{i}")
    return names


@dataclass
class Timings:
    samples: dict[tuple[str, int], list[float]]

    def median_ms(self, kind: str, delay: int) -> float:
        return statistics.median(self.samples[kind, delay]) * 1000

    def gap_ms(self, kind: str, delay: int) -> float:
        """How much longer (ms, p50) a wrong code takes for ``kind`` than for an unknown name."""
        return self.median_ms(kind, delay) - self.median_ms("unknown name", delay)

    def noise_ms(self, delay: int) -> float:
        """The spread of a p50 itself: half the interquartile range of the unknown name's
        samples at this delay, over the square root of their number (a p50's standard error is
        about 1.25 IQR/1.35/sqrt(n)); the floor for a gap to mean anything."""
        values = sorted(self.samples["unknown name", delay])
        q1, _q2, q3 = statistics.quantiles(values, n=4)
        return 1.25 * (q3 - q1) / 1.35 / len(values) ** 0.5 * 1000

    def worst(self) -> tuple[str, int, float]:
        """The kind and delay with the largest gap from an unknown name (absolute)."""
        rows = [(k, d, self.gap_ms(k, d)) for k in KINDS[1:] for d in DELAYS_MS]
        return max(rows, key=lambda row: abs(row[2]))

    def table(self) -> Iterable[str]:
        yield "  delay   " + "".join(f"{kind:>22}" for kind in KINDS) + "   p50 noise"
        for delay in DELAYS_MS:
            cells = [f"{self.median_ms(KINDS[0], delay):10.2f} ms".rjust(22)]
            cells += [
                f"{self.median_ms(k, delay):7.2f} ({self.gap_ms(k, delay):+.2f})".rjust(22)
                for k in KINDS[1:]
            ]
            yield f"  {delay:>3} ms  " + "".join(cells) + f"   {self.noise_ms(delay):.2f} ms"


def _wait_dispatched(flow_id: int, timeout: float = 10.0) -> None:
    """Until the worker has handled the flow's dispatch (``dispatched`` set, for every kind)."""
    from reset.models import ResetFlow

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ResetFlow.objects.filter(pk=flow_id, dispatched__gte=1).exists():
            return
        time.sleep(0.005)
    raise AssertionError(f"the worker did not dispatch flow {flow_id} in {timeout} s")


def measure(names: dict[str, list[str]], *, rounds: int, seed: int = 12) -> Timings:
    from reset.models import ResetFlow

    order = [(kind, delay) for kind in KINDS for delay in DELAYS_MS] * rounds
    random.Random(seed).shuffle(order)
    next_name = {kind: iter(values) for kind, values in names.items()}
    samples: dict[tuple[str, int], list[float]] = {key: [] for key in order}
    for kind, delay in order:
        client = Client()
        response = client.post(START, {"identifier": next(next_name[kind]), "channel": "email"})
        assert response.status_code == 302, response.status_code
        if delay:
            time.sleep(delay / 1000)
        started = time.perf_counter()
        response = client.post(VERIFY, {"code": "000000", "action": "verify"})
        samples[kind, delay].append(time.perf_counter() - started)
        assert response.status_code == 400, response.status_code
        _wait_dispatched(ResetFlow.objects.order_by("-pk").values_list("pk", flat=True)[0])
        time.sleep(0.005)  # the worker's commit and ack settle before the next start
    return Timings(samples)
