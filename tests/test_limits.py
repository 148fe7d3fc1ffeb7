"""The portal's one counter (``portal.limits``): fixed and rolling windows, streaks and blocks on
Redis (one Lua call each, exact under concurrency) and on the database cache (the ``make run``
default), keys that are HMACs under the signing key, counts carried over a key rotation, and a
store that does not answer."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal import limits
from portal.cache import redis_backend
from tests.concurrency import at_once
from tests.logs import console_output
from tests.messaging.worker import dead_port

pytestmark = pytest.mark.django_db
THREADS = 40
DATABASE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "portal_cache",
    }
}


@pytest.fixture(params=["redis", "database"])
def store(request, settings):
    """Each test on both stores: the run's Redis, and the database cache of ``make run``."""
    if request.param == "redis":
        request.applymarker(pytest.mark.redis)
        if redis_backend() is None:
            pytest.skip("[redis] REDIS_URL is not set")
    else:
        settings.CACHES = DATABASE_CACHE
        call_command("createcachetable", verbosity=0)  # does nothing where migrate made it
        cache.clear()
    return request.param


def _together(action) -> list:
    def one(_n: int, start):
        start()
        return action()

    return at_once(THREADS, one)


# --- fixed windows ------------------------------------------------------------------------------
def test_a_fixed_window_counts_until_its_edge(store, clock):
    clock.set(clock.now().replace(minute=0, second=0, microsecond=0))
    hour = limits.Fixed("test:fixed", seconds=3600, limit=2)
    assert [hour.hit("203.0.113.7").number for _ in range(3)] == [1, 2, 3]
    assert hour.count("203.0.113.7") == 3
    assert hour.count("203.0.113.8") == 0
    clock.advance(minutes=59, seconds=59)
    assert hour.hit("203.0.113.7").number == 4
    clock.advance(seconds=1)  # the next clock hour: a new window
    assert hour.hit("203.0.113.7").number == 1


def test_two_buckets_slide_the_window_in_halves(store, clock):
    clock.set(clock.now().replace(minute=0, second=0, microsecond=0))
    half = limits.Fixed("test:halves", seconds=1800, limit=3, buckets=2)
    clock.advance(minutes=29)
    half.hit("x")
    half.hit("x")
    clock.advance(minutes=2)  # across the edge: the burst still counts whole
    assert half.hit("x").number == 3
    clock.advance(minutes=30)  # the first bucket has left
    assert half.count("x") == 1


def test_stop_at_limit_refuses_uncounted_and_gives_back(store, clock):
    three = limits.Fixed("test:stop", seconds=3600, limit=3)
    hits = [three.hit("x", stop_at_limit=True) for _ in range(5)]
    assert [h.number for h in hits] == [1, 2, 3, 0, 0]
    assert [h.refused for h in hits] == [False, False, False, True, True]
    assert three.count("x") == 3
    three.give_back("x", hits[0].bucket)
    assert three.count("x") == 2
    three.clear("x")
    three.give_back("x", hits[0].bucket)  # already gone: nothing happens
    assert three.count("x") == 0


def test_a_block_refuses_while_it_lasts_and_claiming_it_restarts_the_count(store, clock):
    block = limits.Block("test:block")
    counter = limits.Fixed("test:blocked", seconds=3600, limit=10)
    counter.hit("x")
    until = clock.now() + timedelta(minutes=30)
    assert block.claim("x", "LOCK-1", until=until, clears=counter)
    assert not block.claim("x", "LOCK-2", until=until, clears=counter)  # one caller wins
    assert counter.count("x") == 0 and block.get("x") == "LOCK-1"
    refused = counter.hit("x", stop_at_limit=True, blocked_by=block)
    assert refused.refused and refused.block == "LOCK-1" and counter.count("x") == 0
    counted = counter.hit("x", blocked_by=block)  # without stop_at_limit: counted, block read
    assert counted.number == 1 and counted.block == "LOCK-1"
    block.set("x", "LOCK-3", until=until)
    assert block.get("x") == "LOCK-3"
    clock.advance(minutes=31)  # the portal's clock ends it, not the store's expiry
    assert block.get("x") is None
    assert block.claim("x", "LOCK-4", until=clock.now() + timedelta(minutes=30))
    block.lift("x", clears=counter)
    assert block.get("x") is None and counter.count("x") == 0


def test_take_is_all_or_nothing(store, clock):
    small = limits.Fixed("test:small", seconds=3600, limit=1)
    big = limits.Fixed("test:big", seconds=86400, limit=10)
    assert limits.take([(big, "all"), (small, "a")]) == limits.Taken((1, 1), None)
    refused = limits.take([(big, "all"), (small, "a")])
    assert refused.over == 1
    assert big.count("all") == 1 and small.count("a") == 1  # the refused one cost nothing
    kept = limits.take([(big, "all"), (small, "a")], all_or_nothing=False)
    assert kept.over == 1 and big.count("all") == 2


def test_a_spec_answers_the_seconds_until_allowed(store, clock):
    clock.set(clock.now().replace(minute=0, second=0, microsecond=0))
    assert [limits.hit("test:spec", "x", "2/h,3/d") for _ in range(2)] == [0, 0]
    assert limits.peek("test:spec", "x", "2/h,3/d") == 3601
    assert limits.hit("test:spec", "x", "2/h,3/d") == 3601
    clock.advance(hours=1)
    assert limits.peek("test:spec", "x", "2/h,3/d") == 22 * 3600 + 1  # days end at 0h UTC
    assert limits.parse("5/60s, 10/5m") == [limits.Rule(5, 60), limits.Rule(10, 300)]
    with pytest.raises(ValueError, match="write it like 3/h"):
        limits.parse("5 per hour")


# --- rolling windows and streaks ----------------------------------------------------------------
def test_windows_and_streaks_follow_the_portals_clock(store, clock):
    window = limits.Rolling("test:clock", seconds=60)
    streak = limits.Streak("test:clock-streak", ttl=60)
    assert window.hit("x") == 1
    assert streak.add("x") == 1
    clock.advance(seconds=30)
    assert window.hit("x") == 2
    assert streak.add("x") == 2
    full = window.state("x", limit=2)
    assert full.count == 2 and full.retry_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=45)  # the first event has left the window; the streak is still warm
    state = window.state("x", limit=2)
    assert state.count == 1 and state.retry_at is None
    assert streak.add("x") == 3
    clock.advance(seconds=61)  # idle past its time: the streak starts again
    assert streak.add("x") == 1
    streak.add("x")
    streak.clear("x")
    assert streak.add("x") == 1


@pytest.mark.redis
def test_a_value_of_another_shape_is_replaced(clock):
    backend = redis_backend()
    name = backend.make_and_validate_key(limits.names("test:shape", "x")[0])
    backend.client().set(name, "junk")
    assert limits.Rolling("test:shape", seconds=60).state("x", limit=5).count == 0
    assert limits.Rolling("test:shape", seconds=60).hit("x") == 1
    backend.client().set(name, "junk")
    assert limits.Streak("test:shape", ttl=60).add("x") == 1


# --- concurrency on Redis: exact counts ---------------------------------------------------------
@pytest.mark.redis
def test_a_burst_is_counted_whole_on_every_shape():
    fixed = limits.Fixed("test:burst-fixed", seconds=3600, limit=THREADS)
    rolling = limits.Rolling("test:burst", seconds=3600)
    streak = limits.Streak("test:burst-streak", ttl=86400)
    _together(lambda: (fixed.hit("x"), rolling.hit("x"), streak.add("x")))
    assert fixed.count("x") == THREADS
    state = rolling.state("x", limit=THREADS)
    assert state.count == THREADS and state.retry_at is not None
    assert streak.add("x") == THREADS + 1


@pytest.mark.redis
def test_a_burst_never_passes_a_limit_together():
    ten = limits.Fixed("test:burst-stop", seconds=3600, limit=10)
    hits = _together(lambda: ten.hit("x", stop_at_limit=True))
    assert sorted(h.number for h in hits if not h.refused) == list(range(1, 11))
    assert sum(h.refused for h in hits) == THREADS - 10
    assert ten.count("x") == 10
    cap = limits.Fixed("test:burst-take", seconds=3600, limit=7)
    taken = _together(lambda: limits.take([(cap, "all")]))
    assert sum(t.over is None for t in taken) == 7 and cap.count("all") == 7


@pytest.mark.redis
def test_a_block_is_claimed_once_under_a_burst(clock):
    block = limits.Block("test:burst-block")
    until = clock.now() + timedelta(minutes=30)
    won = _together(lambda: block.claim("x", "LOCK", until=until))
    assert sum(won) == 1


# --- keys ---------------------------------------------------------------------------------------
def _stored_keys() -> list[str]:
    backend = redis_backend()
    if backend is not None:
        return [k.decode() for k in backend.client().scan_iter(match="*lim:test:key*")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM portal_cache")
        return [row[0] for row in cursor.fetchall()]


def test_stored_keys_are_hmacs_never_the_subject_or_its_plain_hash(store, clock):
    ip, name = "203.0.113.77", "zhang.wei@corp.example.cn"
    for subject in (ip, name):
        limits.Fixed("test:key-fixed", seconds=60, limit=5, buckets=2).hit(subject)
        limits.Rolling("test:key-rolling", seconds=60).hit(subject)
        limits.Streak("test:key-streak", ttl=60).add(subject)
        limits.Block("test:key-block").claim(
            subject, "LOCK", until=clock.now() + timedelta(minutes=1)
        )
    keys = " ".join(_stored_keys())
    assert keys.count("lim:test:key") >= 8
    for subject in (ip, name):
        plain = hashlib.sha256(subject.encode()).hexdigest()
        assert subject not in keys and "zhang" not in keys and "203.0.113" not in keys
        for length in (16, 24, 32, 40):
            assert plain[:length] not in keys
        for scope in ("test:key-fixed", "test:key-rolling"):
            for value in (f"{scope}\x00{subject}", f"{scope}:{subject}"):
                assert hashlib.sha256(value.encode()).hexdigest()[:16] not in keys


def test_a_key_rotation_carries_counts_and_blocks_over(store, clock, settings):
    counter = limits.Fixed("test:rotate", seconds=3600, limit=3)
    rolling = limits.Rolling("test:rotate-rolling", seconds=3600)
    streak = limits.Streak("test:rotate-streak", ttl=3600)
    block = limits.Block("test:rotate-block")
    old = settings.SECRET_KEY
    counter.hit("x")
    counter.hit("x")
    rolling.hit("x")
    streak.add("x")
    block.claim("x", "LOCK-1", until=clock.now() + timedelta(minutes=30))
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a new key " * 6, [old]
    assert limits.names("test:rotate", "x")[1:] != []
    assert counter.hit("x", stop_at_limit=True).number == 3  # no fresh budget
    assert counter.hit("x", stop_at_limit=True).refused
    assert rolling.hit("x") == 2 and rolling.state("x", limit=2).retry_at is not None
    assert streak.add("x") == 2
    assert block.get("x") == "LOCK-1"
    assert not block.claim("x", "LOCK-2", until=clock.now() + timedelta(minutes=30))
    settings.SECRET_KEY_FALLBACKS = []  # the old key retired: what it counted is forgotten
    assert counter.count("x") == 1 and rolling.state("x", limit=5).count == 1
    assert block.get("x") is None
    settings.SECRET_KEY_FALLBACKS = [old]
    block.lift("x", clears=counter)  # a clear removes the counts under every key
    streak.clear("x")
    assert block.get("x") is None and counter.count("x") == 0 and streak.add("x") == 1


# --- a store that does not answer ---------------------------------------------------------------
def test_a_store_that_does_not_answer_raises_one_exception_or_goes_on_uncounted(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{dead_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    counter = limits.Fixed("test:down", seconds=60, limit=1)
    with pytest.raises(limits.LimitStoreDown) as exc:
        counter.hit("x")
    assert exc.value.scope == "test:down" and exc.value.retry_after == 60
    for call in (
        lambda: limits.hit("test:down", "x", "1/m"),
        lambda: limits.Rolling("test:down", seconds=60).hit("x"),
        lambda: limits.Streak("test:down", ttl=60).add("x"),
        lambda: limits.Block("test:down").claim("x", "L", until=timezone.now()),
    ):
        with pytest.raises(limits.LimitStoreDown):
            call()
    with console_output() as output:
        hit = counter.hit("x", stop_at_limit=True, on_down="the event is not counted")
        block = limits.Block("test:down").get("x", on_down="its block is not applied")
    assert hit == limits.Hit(0, hit.bucket, None) and block is None
    lines = output.getvalue().splitlines()
    assert any("limit test:down: its store did not answer" in line for line in lines)
    assert not any("Traceback" in line for line in lines)
