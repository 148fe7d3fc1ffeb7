"""PostgreSQL: Django's own backend, with a health check that costs no round trip.

Persistent connections (``CONN_MAX_AGE``) are checked before each request reuses them
(``CONN_HEALTH_CHECKS``), so a database restart or an idle-connection kill costs no request a
500. Django checks with ``SELECT 1``: one round trip on every request that touches the database,
a sign-in's included. An idle connection has nothing to read, and a server that ends one (restart,
``pg_terminate_backend``, ``idle_session_timeout``, a proxy closing it) first sends its reason or
closes the socket, which makes the socket readable. So an idle connection is checked by asking the
kernel, without waiting, whether its socket has anything to read: if so it is not reused (a new
one is opened). Anything other than an idle connection (an error was seen, a transaction is open)
is checked Django's way.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        conn = self.connection
        if conn is None or conn.closed or conn.broken:
            return False
        if conn.info.transaction_status != pq.TransactionStatus.IDLE:
            return super().is_usable()
        try:
            readable, _, _ = select.select([conn.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
