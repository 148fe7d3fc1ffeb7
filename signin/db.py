"""The transactions every sign-in attempt's bookkeeping runs in.

On PostgreSQL a bookkeeping transaction of its own commits asynchronously
(``SET LOCAL synchronous_commit TO OFF``, ``SIGNIN_ASYNC_COMMIT``): it stays atomic and isolated,
row locks work as usual, and the commit returns without waiting for the WAL flush. The price is
that a crash of the database server (not of the portal) can lose the last fraction of a second
of attempt counts and sign-in records; nothing is ever half-written. Without it every sign-in
waits for two or more disk flushes, which on ordinary disks cost more than the password hash.
A transaction opened by a caller is never changed.

Round trips are the cost here, not SQL: the ``SET LOCAL`` travels in the same message as the
transaction's first statement (PostgreSQL runs a message of several statements in order, in the
one transaction), so it costs nothing extra. ``bookkeeping(alone=True)`` is for a single
statement: it opens no transaction block at all, and the statement with its ``SET LOCAL`` runs as
one implicit transaction, in one round trip instead of three (``BEGIN``, statement, ``COMMIT``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from django.db import connection, transaction

from signin import conf

ASYNC_COMMIT = "SET LOCAL synchronous_commit TO OFF; "


class AsyncCommitFirst:
    """An execute wrapper that sends ``SET LOCAL synchronous_commit TO OFF`` with the next
    statement, then steps past its (empty) result so the caller reads the statement's own."""

    def __init__(self) -> None:
        self.done = False

    def __call__(self, execute, sql, params, many, context):
        if self.done or many:
            return execute(sql, params, many, context)
        self.done = True
        result = execute(ASYNC_COMMIT + sql, params, many, context)
        context["cursor"].nextset()
        return result


def _async_commit_applies(outermost: bool) -> bool:
    return outermost and connection.vendor == "postgresql" and bool(conf.get("SIGNIN_ASYNC_COMMIT"))


@contextmanager
def bookkeeping(*, alone: bool = False) -> Iterator[None]:
    """The sign-in bookkeeping's transaction. Nested in another transaction, or in another
    bookkeeping block, it adds nothing (no savepoint): bookkeeping never raises on purpose, and
    an unexpected error fails the whole sign-in anyway.

    ``alone=True``: the block sends exactly one statement (or one message, ``portal.db``), as
    its own transaction (outside a caller's transaction no ``BEGIN``/``COMMIT`` is sent)."""
    if getattr(connection, "signin_bookkeeping", False):
        yield
        return
    outermost = not connection.in_atomic_block
    wrapper = AsyncCommitFirst() if _async_commit_applies(outermost) else None
    block = nullcontext() if alone and outermost else transaction.atomic(savepoint=outermost)
    connection.signin_bookkeeping = True
    try:
        with connection.execute_wrapper(wrapper) if wrapper else nullcontext(), block:
            try:
                yield
            finally:
                if wrapper is not None:
                    wrapper.done = True  # before the commit: on-commit hooks run plain
    finally:
        connection.signin_bookkeeping = False
