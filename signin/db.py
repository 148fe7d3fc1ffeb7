"""The transaction every sign-in attempt's bookkeeping runs in.

On PostgreSQL an outermost bookkeeping transaction commits asynchronously
(``SET LOCAL synchronous_commit TO OFF``, ``SIGNIN_ASYNC_COMMIT``): it stays atomic and isolated,
row locks work as usual, and the commit returns without waiting for the WAL flush. The price is
that a crash of the database server (not of the portal) can lose the last fraction of a second
of attempt counts and sign-in records; nothing is ever half-written. Without it every sign-in
waits for two or more disk flushes, which on ordinary disks cost more than the password hash.
A transaction opened by a caller is never changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from signin import conf


@contextmanager
def bookkeeping() -> Iterator[None]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql" and conf.get("SIGNIN_ASYNC_COMMIT"):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield
