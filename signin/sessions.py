"""``SESSION_ENGINE``: Django's database sessions, written once per sign-in instead of three times.

Django's database store makes a session row the moment ``login()`` picks a new key (a lookup for
the key, a savepoint, an ``INSERT``, a release) and writes it again at the end of the request
(``BEGIN``, ``UPDATE``, ``COMMIT``), because ``login()`` adds the user to the session after the
key exists. Here a new key is only drawn when it is made (32 random characters from ``secrets``:
two sessions never draw the same one, and a clash would still be caught, see below) and the row is
written once, with the request's last save: one ``INSERT``.

Outside a caller's transaction, on PostgreSQL, each write is one statement that is its own
transaction, sent with the sign-in bookkeeping's asynchronous commit (``signin.db``): one round
trip. A session row lost to a crash of the database server in the last fraction of a second only
means signing in again. Inside a transaction (and on SQLite) Django's own save runs.

A sign-in sends the new row with its other records, in one message (``new_row_statement``,
``signin.services.signin_succeeded``); the request's last save then writes nothing unless the
session changed after that.

The rows, their table and everything that reads or deletes them are Django's.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import IntegrityError, connection
from django.utils.crypto import get_random_string

from portal.db import Statement, insert_statement
from signin.db import bookkeeping

MAX_KEY_DRAWS = 8


class SessionStore(DatabaseSessionStore):
    def __init__(self, session_key: str | None = None) -> None:
        super().__init__(session_key)
        self._unwritten = False
        self._pending_data: bytes | None = None
        self._sent_data: bytes | None = None  # the data new_row_statement() sent, once it ran

    def new_row_statement(self) -> Statement | None:
        """The ``INSERT`` of a new session's row as it is now, for a caller that sends it with
        other writes; None when the row exists already (or on SQLite, where it is saved as
        usual). Call ``new_row_sent()`` once the statement ran."""
        if not self._unwritten or connection.vendor != "postgresql":
            return None
        data = self._get_session(no_load=True)
        self._pending_data = self.serializer().dumps(data)
        return insert_statement(self.create_model_instance(data))

    def new_row_sent(self) -> None:
        """The statement from ``new_row_statement()`` ran: the row exists."""
        self._unwritten = False
        self._sent_data = self._pending_data

    def create(self) -> None:
        """A new, empty session whose row the next ``save()`` inserts."""
        self._session_key = get_random_string(32, VALID_KEY_CHARS)
        if not hasattr(self, "_session_cache"):
            self._session_cache = {}
        self._unwritten = True
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        for _draw in range(MAX_KEY_DRAWS):
            try:
                self._write(must_create=must_create or self._unwritten)
            except CreateError:
                if not self._unwritten:
                    raise
                self._session_key = get_random_string(32, VALID_KEY_CHARS)
                continue
            self._unwritten = False
            return
        raise CreateError("no free session key")

    def _write(self, *, must_create: bool) -> None:
        if self._sent_data is not None and not must_create:
            sent, self._sent_data = self._sent_data, None
            if self.serializer().dumps(self._get_session()) == sent:
                return  # the row holds this already (sent with a sign-in's records)
        if connection.in_atomic_block or connection.vendor != "postgresql":
            super().save(must_create=must_create)
            return
        data = self._get_session(no_load=must_create)
        row = self.create_model_instance(data)
        with bookkeeping(alone=True):
            if must_create:
                try:
                    row.save(force_insert=True)
                except IntegrityError:
                    raise CreateError from None
                return
            updated = self.model.objects.filter(session_key=row.session_key).update(
                session_data=row.session_data, expire_date=row.expire_date
            )
        if not updated:
            raise UpdateError  # deleted meanwhile (signed out elsewhere): Django handles it
