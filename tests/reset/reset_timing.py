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


def make_identifiers(rounds: int, *, tag: str = "t", delays: int = len(DELAYS_MS)) -> dict:
    """Fresh identifiers of each kind for ``rounds`` samples at each of ``delays`` delays (the
    accounts created in the database)."""
    from tests.factories import UserFactory

    names: dict[str, list[str]] = {kind: [] for kind in KINDS}
    count = rounds * delays
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

    def _p50_se_ms(self, kind: str, delay: int) -> float:
        """A p50's standard error (ms): about 1.25 IQR / 1.35 / sqrt(n)."""
        values = sorted(self.samples[kind, delay])
        q1, _q2, q3 = statistics.quantiles(values, n=4)
        return 1.25 * (q3 - q1) / 1.35 / len(values) ** 0.5 * 1000

    def noise_ms(self, delay: int, kind: str = "unknown name") -> float:
        """The spread of the gap itself: the standard error of the difference between ``kind``'s
        p50 and the unknown name's at this delay (both spreads count: a machine whose other work
        shakes one kind's samples makes its p50 less certain); the floor for a gap to mean
        anything. With ``kind`` the unknown name, the spread of that p50 alone."""
        unknown = self._p50_se_ms("unknown name", delay)
        if kind == "unknown name":
            return unknown
        return (unknown**2 + self._p50_se_ms(kind, delay) ** 2) ** 0.5

    def worst(self) -> tuple[str, int, float]:
        """The kind and delay with the largest gap from an unknown name (absolute)."""
        rows = [(k, d, self.gap_ms(k, d)) for k in KINDS[1:] for d in self.delays()]
        return max(rows, key=lambda row: abs(row[2]))

    def delays(self) -> list[int]:
        return sorted({delay for _kind, delay in self.samples})

    def table(self) -> Iterable[str]:
        """p50 per kind and delay; for each kind its gap to the unknown name and that gap's
        noise (``noise_ms``)."""
        yield "  delay   " + "".join(f"{kind:>26}" for kind in KINDS)
        for delay in self.delays():
            cells = [f"{self.median_ms(KINDS[0], delay):10.2f} ms".rjust(26)]
            cells += [
                f"{self.median_ms(k, delay):7.2f} ({self.gap_ms(k, delay):+.2f} "
                f"± {self.noise_ms(delay, k):.2f})".rjust(26)
                for k in KINDS[1:]
            ]
            yield f"  {delay:>3} ms  " + "".join(cells)


def _wait_dispatched(flow_id: int, timeout: float = 10.0) -> None:
    """Until the worker has handled the flow's dispatch (``dispatched`` set, for every kind)."""
    from reset.models import ResetFlow

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ResetFlow.objects.filter(pk=flow_id, dispatched__gte=1).exists():
            return
        time.sleep(0.005)
    raise AssertionError(f"the worker did not dispatch flow {flow_id} in {timeout} s")


def measure(
    names: dict[str, list[str]],
    *,
    rounds: int,
    seed: int = 12,
    delays: Iterable[int] = DELAYS_MS,
) -> Timings:
    from reset.models import ResetFlow

    order = [(kind, delay) for kind in KINDS for delay in delays] * rounds
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
