"""Connections to the directory: the servers of ``DIRECTORY_URL`` in order (a server that does
not answer is skipped for ``DIRECTORY_SERVER_RETRY_SECONDS``), TLS checked against
``DIRECTORY_CA_FILE`` (``ldaps://`` or StartTLS), a timeout on connecting and on every reply.

Each thread keeps two open connections and reuses them: one bound as the service account
(searches, password writes, lock clears) and one for checking people's passwords, bound again
for every check. A process that forked (Celery, gunicorn) opens its own. Every ldap3 error that
is not an answer from the server becomes ``DirectoryUnavailable``; nothing here logs a password
or the bind secret (ldap3's own logging stays off).
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import ldap3
from ldap3.core.exceptions import LDAPException

from directory import conf
from directory.dialects import DirectoryUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Config:
    urls: tuple[str, ...]
    ca_file: str
    start_tls: bool
    connect_timeout: int
    timeout: int
    retry_seconds: int
    bind_dn: str
    bind_password: str


class _Held(threading.local):
    config: _Config | None = None
    pool: ldap3.ServerPool | None = None
    service: ldap3.Connection | None = None
    checker: ldap3.Connection | None = None
    pid: int = 0


_held = _Held()


def _config() -> _Config:
    return _Config(
        urls=tuple(conf.get("DIRECTORY_URLS")),
        ca_file=conf.get("DIRECTORY_CA_FILE"),
        start_tls=bool(conf.get("DIRECTORY_START_TLS")),
        connect_timeout=int(conf.get("DIRECTORY_CONNECT_TIMEOUT")),
        timeout=int(conf.get("DIRECTORY_TIMEOUT")),
        retry_seconds=int(conf.get("DIRECTORY_SERVER_RETRY_SECONDS")),
        bind_dn=conf.get("DIRECTORY_BIND_DN"),
        bind_password=conf.get("DIRECTORY_BIND_PASSWORD"),
    )


def _tls(config: _Config) -> ldap3.Tls:
    return ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        version=ssl.PROTOCOL_TLS_CLIENT,
        ca_certs_file=config.ca_file or None,
    )


# ldap3's pool sleeps POOLING_LOOP_TIMEOUT (10 s by default) after a round in which no server
# answered; with one round (active=1) that only delays the "directory down" page.
ldap3.set_config_parameter("POOLING_LOOP_TIMEOUT", 0)


def _pool(config: _Config) -> ldap3.ServerPool:
    servers = [
        ldap3.Server(
            url,
            get_info=ldap3.NONE,
            connect_timeout=config.connect_timeout,
            tls=_tls(config) if url.lower().startswith("ldaps://") or config.start_tls else None,
        )
        for url in config.urls
    ]
    # FIRST: the first server that answers; active: each is tried once per open; exhaust: one
    # that did not answer is left out for retry_seconds when there are others.
    # A single server is always tried (leaving it out would only lengthen an outage).
    exhaust = config.retry_seconds if len(servers) > 1 else False
    return ldap3.ServerPool(servers, ldap3.FIRST, active=1, exhaust=exhaust)


def _state() -> _Held:
    """This thread's pool and connections, made again when the settings or the process changed."""
    config = _config()
    if _held.config != config or _held.pid != os.getpid():
        connections_close()
        _held.config, _held.pool, _held.pid = config, _pool(config), os.getpid()
    return _held


def _open(held: _Held, *, user: str | None, password: str | None) -> ldap3.Connection:
    config = held.config
    conn = ldap3.Connection(
        held.pool,
        user=user,
        password=password,
        receive_timeout=config.timeout,
        raise_exceptions=False,
        read_only=False,
        auto_referrals=False,
        return_empty_attributes=False,
    )
    conn.open()
    if config.start_tls and not conn.server.ssl and not conn.start_tls():
        raise DirectoryUnavailable("StartTLS refused")
    return conn


def _drop(conn: ldap3.Connection | None) -> None:
    if conn is None:
        return
    with suppress(LDAPException):
        conn.unbind()


def connections_close() -> None:
    """Close this thread's connections (tests, a changed configuration)."""
    _drop(_held.service)
    _drop(_held.checker)
    _held.service = _held.checker = None
    _held.config = None


@contextmanager
def service_connection() -> Iterator[ldap3.Connection]:
    """The connection bound as the portal's service account. ldap3 errors raised inside become
    ``DirectoryUnavailable`` and the connection is opened again next time."""
    held = _state()
    try:
        conn = held.service
        if conn is None or conn.closed or not conn.bound:
            _drop(conn)
            held.service = None
            conn = _open(held, user=held.config.bind_dn, password=held.config.bind_password)
            if not conn.bind():
                description = conn.result.get("description", "")
                _drop(conn)
                log.error("directory: the service account's bind was refused (%s)", description)
                raise DirectoryUnavailable("service bind refused")
            held.service = conn
        yield conn
    except LDAPException as exc:
        _drop(held.service)
        held.service = None
        log.warning("directory: no answer (%s)", exc.__class__.__name__)
        raise DirectoryUnavailable(exc.__class__.__name__) from None


def user_bind(*, dn: str, password: str) -> bool:
    """Whether ``password`` is the password of ``dn``, by binding as it (the directory's own
    check and its own lockout). An empty password is never sent (it would be an anonymous bind).
    ``DirectoryUnavailable`` when no server answers."""
    if not password:
        return False
    held = _state()
    for attempt in (1, 2):  # a reused connection the server closed meanwhile: one fresh try
        conn = held.checker
        fresh = conn is None or conn.closed
        try:
            if fresh:
                _drop(conn)
                held.checker = None
                conn = _open(held, user=None, password=None)
                held.checker = conn
            conn.authentication = ldap3.SIMPLE
            conn.user, conn.password = dn, password
            try:
                bound = conn.bind()
            finally:
                conn.password = None  # not kept on the connection after the check
            result = conn.result.get("result")
            if result in (51, 52):  # busy, unavailable: not an answer about the password
                raise DirectoryUnavailable(conn.result.get("description", "busy"))
            return bool(bound)
        except LDAPException as exc:
            _drop(held.checker)
            held.checker = None
            if attempt == 2 or fresh:
                log.warning("directory: no answer to a bind (%s)", exc.__class__.__name__)
                raise DirectoryUnavailable(exc.__class__.__name__) from None
    return False
