"""On Redis the reset's caps and streaks lose no event when requests race: each change is one Lua
call (``accounts.ratelimit``). Read-then-write counting let simultaneous requests overwrite each
other, so a burst counted as a few and repeated bursts passed any cap."""

from __future__ import annotations

import pytest

from accounts import ratelimit
from tests.concurrency import at_once

pytestmark = pytest.mark.redis
THREADS = 40


def _together(action) -> None:
    def one(_n: int, start) -> None:
        start()
        action()

    at_once(THREADS, one)


def test_a_burst_of_events_is_counted_whole():
    key = ratelimit.key_for("test-burst", "203.0.113.7")
    _together(lambda: ratelimit.window_hit(key, window=3600))
    state = ratelimit.window_state(key, limit=THREADS, window=3600)
    assert state.count == THREADS and state.retry_at is not None


def test_a_burst_of_failures_makes_a_whole_streak():
    key = ratelimit.key_for("test-streak", "account:1")
    _together(lambda: ratelimit.streak_add(key, ttl=86400))
    assert ratelimit.streak_add(key, ttl=86400) == THREADS + 1
    ratelimit.streak_clear(key)
    assert ratelimit.streak_add(key, ttl=86400) == 1


def test_windows_and_streaks_follow_the_portals_clock(clock):
    window = ratelimit.key_for("test-clock", "x")
    streak = ratelimit.key_for("test-clock-streak", "x")
    assert ratelimit.window_hit(window, window=60) == 1
    assert ratelimit.streak_add(streak, ttl=60) == 1
    clock.advance(seconds=30)
    assert ratelimit.window_hit(window, window=60) == 2
    assert ratelimit.streak_add(streak, ttl=60) == 2
    clock.advance(seconds=45)  # the first event has left the window; the streak is still warm
    state = ratelimit.window_state(window, limit=2, window=60)
    assert state.count == 1 and state.retry_at is None
    assert ratelimit.streak_add(streak, ttl=60) == 3
    clock.advance(seconds=61)  # idle past its time: the streak starts again
    assert ratelimit.streak_add(streak, ttl=60) == 1


def test_a_value_left_by_the_old_format_is_replaced():
    from django.core.cache import cache

    key = ratelimit.key_for("test-legacy", "x")
    cache.set(key, [1.0, 2.0], timeout=60)  # read-then-write's list of times
    assert ratelimit.window_state(key, limit=5, window=60).count == 0
    assert ratelimit.window_hit(key, window=60) == 1
    cache.set(key, (3, 0.0), timeout=60)  # a streak as it was kept
    assert ratelimit.streak_add(key, ttl=60) == 1
