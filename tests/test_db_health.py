"""Persistent PostgreSQL connections are health-checked before a request reuses them, without a
round trip (``portal.postgresql``): a connection the server ended is replaced, a live idle one is
kept and costs the request no ``SELECT 1``."""

from __future__ import annotations

import select

import psycopg
import pytest
from django.db import close_old_connections, connections
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoWrapper

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _backend_pid(conn) -> int:
    with conn.cursor() as cursor:  # the first use in a "request" runs the health check
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_an_idle_connection_is_checked_without_a_round_trip_and_replaced_once_ended(monkeypatch):
    conn = connections["default"]
    assert conn.settings_dict["CONN_HEALTH_CHECKS"] and conn.settings_dict["ENGINE"].startswith(
        "portal."
    )
    round_trips = []
    real = DjangoWrapper.is_usable
    monkeypatch.setattr(
        DjangoWrapper, "is_usable", lambda self: round_trips.append(1) or real(self)
    )
    first = _backend_pid(conn)

    close_old_connections()  # a new request begins
    assert _backend_pid(conn) == first and round_trips == []  # kept, no SELECT 1

    params = conn.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [first])
    readable, _, _ = select.select([conn.connection.fileno()], [], [], 10)
    assert readable  # the server said goodbye

    close_old_connections()  # the next request
    assert _backend_pid(conn) != first  # replaced before use: no error reached the request
    assert round_trips == []


def test_a_connection_in_a_transaction_is_checked_the_usual_way(monkeypatch):
    conn = connections["default"]
    round_trips = []
    real = DjangoWrapper.is_usable
    monkeypatch.setattr(
        DjangoWrapper, "is_usable", lambda self: round_trips.append(1) or real(self)
    )
    conn.ensure_connection()
    conn.connection.execute("BEGIN")
    try:
        assert conn.is_usable() and round_trips == [1]
    finally:
        conn.connection.execute("ROLLBACK")
