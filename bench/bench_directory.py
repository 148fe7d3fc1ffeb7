"""The company directory's cost, on a real slapd with ppolicy (tests/directory/slapd.py):

- a directory sign-in's extra cost over a local one: full requests ``POST /accounts/login/``
  with the right password and the production hasher, interleaved in the same run, p50 of each
  (the directory's adds one search and one bind as the person over loopback);
- the sync of 10 000 directory people (``BENCH_DIRECTORY_PEOPLE``): a first, full run that makes
  every account, then an incremental run with nothing changed: time and database queries.

Without Debian's slapd it says so and measures nothing.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()
logging.disable(logging.WARNING)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench._common import test_db_create  # noqa: E402
from tests.directory import slapd as ldap  # noqa: E402

PRODUCTION_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD = "correct horse battery staple"
N = int(os.environ.get("BENCH_DIRECTORY_N", "60"))
PEOPLE = int(os.environ.get("BENCH_DIRECTORY_PEOPLE", "10000"))
LOGIN = "/accounts/login/"


def people_load(server: ldap.Slapd, count: int) -> None:
    """``count`` people added offline (slapadd, the server stopped: minutes faster than adds)."""
    lines = []
    for n in range(count):
        uid = f"person{n:05d}"
        lines.append(
            f"dn: uid={uid},{ldap.PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid}\n"
            f"sn: P{n}\ngivenName: Person\nmail: {uid}@corp.example\n"
            f"mobile: +86138{n:08d}\nemployeeNumber: E{n:06d}\nuserPassword: {PASSWORD}\n"
        )
    ldif = server.folder / "people.ldif"
    ldif.write_text("\n".join(lines))
    server.stop()
    subprocess.run(
        [ldap.SLAPADD, "-q", "-n", "1", "-F", str(server.folder / "slapd.d"), "-l", str(ldif)],
        check=True,
        capture_output=True,
    )
    server.start()


class Counted:
    """Counts the statements sent to the database (every one, however many)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __len__(self) -> int:
        return self.count

    def __enter__(self):
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        return self._wrapper.__exit__(*exc)


def signin_p50s(client_local: Client, client_dir: Client) -> tuple[float, float]:
    local, directory = [], []
    for i in range(2 * N):
        client, name, into = (
            (client_local, "local.person", local)
            if i % 2
            else (client_dir, "dir.person", directory)
        )
        started = time.perf_counter()
        response = client.post(LOGIN, {"username": name, "password": PASSWORD})
        into.append(time.perf_counter() - started)
        assert response.status_code == 302, (name, response.status_code)
        client.post("/accounts/logout/")
    return statistics.median(local) * 1000, statistics.median(directory) * 1000


def main() -> int:
    reason = ldap.missing_reason()
    if reason:
        print(f"bench_directory: nothing measured: {reason}")
        return 0
    server = ldap.Slapd()
    server.start()
    destroy = test_db_create("directory")
    try:
        return _measure(server)
    finally:
        destroy()
        server.destroy()


def _measure(server: ldap.Slapd) -> int:
    from accounts.models import User
    from directory import connection as directory_connection
    from directory.sync import users_sync

    directory = {
        "DIRECTORY_URLS": [server.url],
        "DIRECTORY_KIND": "openldap",
        "DIRECTORY_BIND_DN": ldap.SERVICE_DN,
        "DIRECTORY_BIND_PASSWORD": ldap.SERVICE_PASSWORD,
        "DIRECTORY_BASE_DN": ldap.BASE,
        "PASSWORD_HASHERS": PRODUCTION_HASHERS,
    }
    print(f"database: {connection.vendor}; slapd on {server.url} (loopback)")
    with override_settings(**directory):
        from signin.identity import throwaway_hash

        throwaway_hash()
        local = User(username="local.person")
        local.set_password(PASSWORD)
        local.save()
        server.person_add("dir.person", PASSWORD, mail="dir.person@corp.example")
        client_local, client_dir = Client(), Client()
        for client, name in ((client_local, "local.person"), (client_dir, "dir.person")):
            client.post(LOGIN, {"username": name, "password": PASSWORD})  # warm up, account made
            client.post("/accounts/logout/")
        local_ms, dir_ms = signin_p50s(client_local, client_dir)
        print(
            f"sign-in, full request, right password, p50 of {N} each (interleaved): local "
            f"{local_ms:.1f} ms, directory {dir_ms:.1f} ms: extra {dir_ms - local_ms:+.1f} ms "
            f"({dir_ms / local_ms:.2f}x)"
        )
        directory_connection.connections_close()
        people_load(server, PEOPLE)
        with Counted() as queries:
            started = time.perf_counter()
            first = users_sync(full=True)
            seconds = time.perf_counter() - started
        print(
            f"sync, first full run: {first.read} people read, {first.updated} accounts made in "
            f"{seconds:.1f} s ({first.read / seconds:.0f} a second), {len(queries)} queries "
            f"({len(queries) / max(first.updated, 1):.1f} an account)"
        )
        with Counted() as queries:
            started = time.perf_counter()
            again = users_sync()
            seconds = time.perf_counter() - started
        print(
            f"sync, incremental run with nothing changed: {again.read} read, {again.updated} "
            f"applied in {seconds:.2f} s, {len(queries)} queries"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
