"""A real OpenLDAP server for the tests: Debian's slapd with the ppolicy overlay, made in a
temporary folder (cn=config by ``slapadd -n0``, the base entries by ``slapadd -n1``) and
started on a free loopback port. Nothing on the machine's own slapd (if any) is used.

The directory: ``dc=corp,dc=example``; people under ``ou=people``; the portal's service account
``cn=portal,ou=services`` with the least rights the docs give (write ``userPassword``, delete
``pwdAccountLockedTime``, read the rest); the default policy: 10 failures lock for 30 minutes,
3 passwords of history, 10 characters at least.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import ldap3

SLAPD = "/usr/sbin/slapd"
SLAPADD = "/usr/sbin/slapadd"
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")

BASE = "dc=corp,dc=example"
PEOPLE = f"ou=people,{BASE}"
GROUPS = f"ou=groups,{BASE}"
ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "root-secret-for-tests"
SERVICE_DN = f"cn=portal,ou=services,{BASE}"
SERVICE_PASSWORD = "portal-service-secret"
POLICY_DN = f"cn=default,ou=policies,{BASE}"
MAX_FAILURE = 10
LOCKOUT_SECONDS = 1800


def missing_reason() -> str | None:
    for path in (SLAPD, SLAPADD):
        if not os.access(path, os.X_OK):
            return f"{path} is missing (apt-get install slapd ldap-utils)"
    if not (MODULES / "ppolicy.so").exists() and not any(MODULES.glob("ppolicy*.so*")):
        return "slapd's ppolicy module is missing"
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _config_ldif(folder: Path) -> str:
    service = f'dn.exact="{SERVICE_DN}"'
    schemas = "\n".join(
        f"include: file://{SCHEMAS / name}.ldif"
        for name in ("core", "cosine", "inetorgperson", "nis")
    )
    return f"""dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {folder}/slapd.pid

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULES}
olcModuleLoad: back_mdb
olcModuleLoad: ppolicy

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

{schemas}

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend
olcSizeLimit: unlimited

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by * none

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcSuffix: {BASE}
olcRootDN: {ROOT_DN}
olcRootPW: {ROOT_PASSWORD}
olcDbDirectory: {folder}/db
olcDbMaxSize: 1073741824
olcDbNoSync: TRUE
olcSizeLimit: unlimited
olcDbIndex: objectClass eq
olcDbIndex: uid,mail eq
olcDbIndex: entryUUID eq
olcDbIndex: modifyTimestamp eq
olcAccess: {{0}}to attrs=userPassword by self write by {service} =w by anonymous auth by * none
olcAccess: {{1}}to attrs=pwdAccountLockedTime by {service} write by * none
olcAccess: {{2}}to dn.subtree="{PEOPLE}" by {service} read by self read by * none
olcAccess: {{3}}to * by {service} read by * none

dn: olcOverlay={{0}}ppolicy,olcDatabase={{1}}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {{0}}ppolicy
olcPPolicyDefault: {POLICY_DN}
olcPPolicyHashCleartext: TRUE
olcPPolicyUseLockout: TRUE
"""


DATA_LDIF = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: Corp
dc: corp

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: {GROUPS}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{BASE}
objectClass: organizationalUnit
ou: services

dn: ou=policies,{BASE}
objectClass: organizationalUnit
ou: policies

dn: {SERVICE_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: portal
userPassword: {SERVICE_PASSWORD}

dn: {POLICY_DN}
objectClass: pwdPolicy
objectClass: device
cn: default
pwdAttribute: userPassword
pwdMaxFailure: {MAX_FAILURE}
pwdLockout: TRUE
pwdLockoutDuration: {LOCKOUT_SECONDS}
pwdInHistory: 3
pwdMinLength: 10
pwdCheckQuality: 2
pwdFailureCountInterval: 0
"""


class Slapd:
    """One slapd process in its own folder. ``start()``, ``stop()`` (a stopped server is "the
    directory is down"), ``root()`` (a connection as the root DN, to arrange entries)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="portal-slapd-"))
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        (self.folder / "db").mkdir()
        (self.folder / "slapd.d").mkdir()
        config, data = self.folder / "config.ldif", self.folder / "data.ldif"
        config.write_text(_config_ldif(self.folder))
        data.write_text(DATA_LDIF)
        for database, ldif in (("0", config), ("1", data)):
            subprocess.run(
                [SLAPADD, "-n", database, "-F", str(self.folder / "slapd.d"), "-l", str(ldif)],
                check=True,
                capture_output=True,
            )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-F", str(self.folder / "slapd.d"), "-h", self.url + "/"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"slapd did not start: {self.process.stderr.read()!r}"
                    ) from None
                time.sleep(0.02)  # waiting for a real server to listen, not a test's clock
        raise RuntimeError("slapd did not listen within 10 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self.process = None

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def root(self) -> ldap3.Connection:
        server = ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=2)
        return ldap3.Connection(server, ROOT_DN, ROOT_PASSWORD, auto_bind=True, receive_timeout=5)

    # --- arranging people -------------------------------------------------------------------
    def people_clear(self) -> None:
        conn = self.root()
        for base in (PEOPLE, GROUPS):
            conn.search(base, "(objectClass=*)", search_scope=ldap3.LEVEL, attributes=[])
            for dn in [e["dn"] for e in conn.response if e.get("type") == "searchResEntry"]:
                conn.delete(dn)
        conn.unbind()

    def person_add(self, uid: str, password: str, **attributes) -> str:
        dn = f"uid={uid},{PEOPLE}"
        values = {"uid": uid, "cn": uid, "sn": uid.split(".")[-1], "userPassword": password}
        values.update(attributes)
        conn = self.root()
        if not conn.add(dn, ["inetOrgPerson"], values):
            raise RuntimeError(f"could not add {dn}: {conn.result}")
        conn.unbind()
        return dn

    def modify(self, dn: str, changes: dict) -> None:
        conn = self.root()
        if not conn.modify(dn, changes):
            raise RuntimeError(f"could not modify {dn}: {conn.result}")
        conn.unbind()

    def read(self, dn: str, *attributes: str) -> dict:
        conn = self.root()
        conn.search(dn, "(objectClass=*)", search_scope=ldap3.BASE, attributes=list(attributes))
        found = conn.response[0]["attributes"] if conn.response else {}
        conn.unbind()
        return dict(found)

    def binds(self, dn: str, password: str) -> bool:
        server = ldap3.Server(self.url, get_info=ldap3.NONE, connect_timeout=2)
        conn = ldap3.Connection(server, dn, password, receive_timeout=5)
        try:
            return bool(conn.bind())
        finally:
            conn.unbind()

    def fail_binds(self, dn: str, count: int) -> None:
        for _ in range(count):
            self.binds(dn, "not-the-password")
