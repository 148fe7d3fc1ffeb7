from __future__ import annotations

from datetime import datetime

import pytest

from tests.conftest import SHANGHAI
from tests.notices.hashers import CountingHasher

# The fake clock starts at 2026-11-24 09:00 Shanghai time (tests/conftest.py).
START = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def counting_hasher(settings):
    settings.PASSWORD_HASHERS = ["tests.notices.hashers.CountingHasher"]
    CountingHasher.calls = 0
    return CountingHasher


@pytest.fixture
def zh(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return client


@pytest.fixture
def en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en-US,en;q=0.9"
    return client
