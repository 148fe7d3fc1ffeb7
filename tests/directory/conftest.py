"""Fixtures of the directory tests: a real slapd for the session (``slapd``) and the portal
configured to use it (``openldap``: settings, an empty ``ou=people``, fresh connections)."""

from __future__ import annotations

import pytest

from directory import connection, selectors
from tests.directory import slapd as slapd_module
from tests.directory.samba import ad_ou, samba_dc  # noqa: F401 (the AD tests' fixtures)


@pytest.fixture(scope="session")
def slapd():
    reason = slapd_module.missing_reason()
    if reason:
        pytest.skip(f"[slapd] {reason}")
    server = slapd_module.Slapd()
    server.start()
    yield server
    server.destroy()


def directory_settings(settings, *, url: str, kind: str, bind_dn: str, password: str, base: str):
    """Point the portal at a directory (the AD tests use it too)."""
    settings.DIRECTORY_URLS = [url]
    settings.DIRECTORY_KIND = kind
    settings.DIRECTORY_BIND_DN = bind_dn
    settings.DIRECTORY_BIND_PASSWORD = password
    settings.DIRECTORY_BASE_DN = base
    settings.DIRECTORY_CONNECT_TIMEOUT = 2
    settings.DIRECTORY_TIMEOUT = 5
    connection.connections_close()
    selectors.policy_forget()


@pytest.fixture
def openldap(settings, slapd, db):
    if slapd.process is None:
        slapd.start()
    slapd.people_clear()
    directory_settings(
        settings,
        url=slapd.url,
        kind="openldap",
        bind_dn=slapd_module.SERVICE_DN,
        password=slapd_module.SERVICE_PASSWORD,
        base=slapd_module.BASE,
    )
    yield slapd
    connection.connections_close()
    selectors.policy_forget()
    if slapd.process is None:
        slapd.start()
