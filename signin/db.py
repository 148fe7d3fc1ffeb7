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


class Bookkeeping:
    def __init__(self, outermost: bool) -> None:
        self._pending = (
            outermost
            and connection.vendor == "postgresql"
            and bool(conf.get("SIGNIN_ASYNC_COMMIT"))
        )

    def writes(self) -> None:
        """Call before the first write of a transaction opened with ``lazy=True``."""
        if self._pending:
            self._pending = False
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")


@contextmanager
def bookkeeping(*, lazy: bool = False) -> Iterator[Bookkeeping]:
    """Nested in another transaction it adds no savepoint: bookkeeping never raises on purpose,
    and an unexpected error fails the whole sign-in anyway."""
    outermost = not connection.in_atomic_block
    state = Bookkeeping(outermost=outermost)
    with transaction.atomic(savepoint=outermost):
        if not lazy:
            state.writes()
        yield state
