"""A real Active Directory for the tests: Debian's Samba (``samba``, ``samba-ad-dc``) as a domain
controller on a loopback address, LDAPS on 636 with the certificate Samba makes itself.

Provisioning a domain takes seconds, so it is done once per Samba version and per this file's
provisioning recipe into ``var/test-cache/samba-<version>-<recipe hash>/`` (gitignored; a clean
CI clone provisions once per run). Each test session copies that tree to a temporary folder and
starts ``samba`` on it, so every session starts from the same clean domain; the server is
stopped at the end. Samba's LDAP ports cannot be changed, so a session's DC gets its own
127.0.0.x (added to ``lo`` for the session when it is not there; 127.0.0.1 when that is not
allowed) and only the ``ldap`` service runs.

The domain: ``CORP.EXAMPLE`` (``DC=corp,DC=example``), password complexity on, history 3,
minimum length 8, no minimum age, lockout after ``LOCKOUT_THRESHOLD`` bad passwords for 30
minutes. ``OU=Staff`` holds the portal's service account (``svc-portal``), given only the rights
docs/directory.md asks an administrator to delegate (reset password, write ``pwdLastSet`` and
``lockoutTime`` on the users below the OU), and the agent and admin groups. Tests put their
people in an OU of their own below ``OU=Staff`` (``DomainController.ou_add``).

Without Samba (or without root, which Samba's DC needs) the fixture skips with the reason;
with ``PORTAL_REQUIRE_ALL=1`` (CI) tests/conftest.py turns that skip into a failure.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import inspect
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import ldap3
import pytest

ROOT = Path(__file__).resolve().parents[2]
SBIN = ("/usr/sbin", "/sbin")
CACHE = Path(os.environ.get("PORTAL_TEST_CACHE", ROOT / "var" / "test-cache"))

REALM = "CORP.EXAMPLE"
DOMAIN = "CORP"
BASE_DN = "DC=corp,DC=example"
STAFF_OU = f"OU=Staff,{BASE_DN}"
ADMIN_PASSWORD = "Adm1n-Pass!word"
SERVICE_NAME = "svc-portal"
SERVICE_DN = f"CN={SERVICE_NAME},{STAFF_OU}"
SERVICE_PASSWORD = "Svc-Portal-Pass1!"
AGENTS_DN = f"CN=Portal Agents,{STAFF_OU}"
ADMINS_DN = f"CN=Portal Admins,{STAFF_OU}"
LOCKOUT_THRESHOLD = 8  # above the portal's own limit (5), as docs/directory.md asks
LOCKOUT_MINUTES = 30
PASSWORD_SETTINGS = (
    "--complexity=on",
    "--history-length=3",
    "--min-pwd-length=8",
    "--min-pwd-age=0",
    "--max-pwd-age=0",
    f"--account-lockout-threshold={LOCKOUT_THRESHOLD}",
    f"--account-lockout-duration={LOCKOUT_MINUTES}",
    f"--reset-account-lockout-after={LOCKOUT_MINUTES}",
)

# The delegation of docs/directory.md, as SDDL ACEs on OU=Staff inherited by user objects:
# the "Reset Password" extended right, read/write pwdLastSet and lockoutTime.
USER_CLASS = "bf967aba-0de6-11d0-a285-00aa003049e2"
RESET_PASSWORD = "00299570-246d-11d0-a768-00aa006e0529"
PWD_LAST_SET = "bf967a0a-0de6-11d0-a285-00aa003049e2"
LOCKOUT_TIME = "28630ebf-41d5-11d1-a9c1-0000f80367c1"


def delegation_sddl(sid: str) -> str:
    return (
        f"(OA;CIIO;CR;{RESET_PASSWORD};{USER_CLASS};{sid})"
        f"(OA;CIIO;RPWP;{PWD_LAST_SET};{USER_CLASS};{sid})"
        f"(OA;CIIO;RPWP;{LOCKOUT_TIME};{USER_CLASS};{sid})"
    )


def _which(tool: str) -> str | None:
    """A tool on PATH or in the sbin folders (Samba's daemon and ``ip`` live there)."""
    return shutil.which(tool, path=os.pathsep.join([os.environ.get("PATH", ""), *SBIN]))


def samba_reason() -> str | None:
    for tool in ("samba", "samba-tool"):
        if _which(tool) is None:
            return f"{tool} is missing (apt-get install samba samba-ad-dc winbind)"
    if os.geteuid() != 0:
        return "Samba's domain controller runs as root only"
    return None


def samba_version() -> str:
    out = subprocess.run([_which("samba"), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[-1]


def _recipe_hash() -> str:
    """The provisioning recipe: a change to it provisions again."""
    recipe = [inspect.getsource(_provision), inspect.getsource(_certificates), delegation_sddl("")]
    recipe += [REALM, DOMAIN, ADMIN_PASSWORD, SERVICE_PASSWORD, *PASSWORD_SETTINGS, *ADDRESSES]
    return hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:12]


def _tool(*args: str, conf: Path) -> str:
    out = subprocess.run(
        [_which("samba-tool"), *args, "-s", str(conf)], capture_output=True, text=True, timeout=300
    )
    if out.returncode != 0:
        raise RuntimeError(f"samba-tool {args[:2]} failed: {out.stderr[-2000:]}")
    return out.stdout


def _provision(target: Path) -> None:
    """A new domain in ``target`` (offline: no server runs while it is set up)."""
    subprocess.run(
        [
            _which("samba-tool"), "domain", "provision", "--use-rfc2307", f"--realm={REALM}",
            f"--domain={DOMAIN}", "--server-role=dc", "--dns-backend=NONE",
            "--host-name=dc1", f"--adminpass={ADMIN_PASSWORD}", f"--targetdir={target}",
        ],
        capture_output=True, text=True, check=True, timeout=600,
    )  # fmt: skip
    conf = target / "etc" / "smb.conf"
    sam = f"tdb://{target}/private/sam.ldb"
    _tool("domain", "passwordsettings", "set", "-H", sam, *PASSWORD_SETTINGS, conf=conf)
    _tool("ou", "add", "-H", sam, "OU=Staff", conf=conf)
    _tool(
        "user", "create", "-H", sam, SERVICE_NAME, SERVICE_PASSWORD, "--userou=OU=Staff",
        "--description=The portal's service account (delegated rights only)", conf=conf,
    )  # fmt: skip
    _tool("user", "setexpiry", "-H", sam, SERVICE_NAME, "--noexpiry", conf=conf)
    for group in ("Portal Agents", "Portal Admins"):
        _tool("group", "add", "-H", sam, group, "--groupou=OU=Staff", conf=conf)
    shown = _tool("user", "show", "-H", sam, SERVICE_NAME, "--attributes=objectSid", conf=conf)
    sid = next(line.split(":", 1)[1].strip() for line in shown.splitlines() if "objectSid" in line)
    _tool(
        "dsacl", "set", "-H", sam, f"--objectdn={STAFF_OU}", f"--sddl={delegation_sddl(sid)}",
        conf=conf,
    )  # fmt: skip
    _certificates(target / "private" / "tls")
    # The session rewrites the paths: keep a template with a placeholder for the folder.
    text = conf.read_text().replace(str(target), "@TARGET@")
    (target / "smb.conf.template").write_text(text)


ADDRESSES = ("127.0.0.1", *(f"127.0.0.{last}" for last in range(40, 80)))


def _certificates(folder: Path) -> None:
    """A CA and the DC's certificate for dc1.corp.example and the loopback addresses a session
    may use (Samba's own self-signed one names the host only, and the portal checks names)."""
    import ipaddress
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC) - timedelta(days=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "CORP test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    names = [x509.DNSName("dc1.corp.example")]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ADDRESSES]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dc1.corp.example")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(cert.public_bytes(pem))
    key_file = folder / "key.pem"
    key_file.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)


def cached_domain() -> Path:
    """The provisioned domain for this Samba version and recipe, made once (under a lock, so
    parallel sessions do not provision twice)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    ready = CACHE / f"samba-{samba_version()}-{_recipe_hash()}"
    if (ready / "smb.conf.template").exists():
        return ready
    with open(CACHE / "samba-provision.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ready / "smb.conf.template").exists():
            building = Path(tempfile.mkdtemp(prefix="samba-building-", dir=CACHE))
            try:
                _provision(building)
                shutil.rmtree(ready, ignore_errors=True)
                building.rename(ready)
                _forget_old(keep=ready)
            finally:
                shutil.rmtree(building, ignore_errors=True)
    return ready


def _forget_old(*, keep: Path) -> None:
    """Domains of older recipes or Samba versions, unused for a day, take no more room."""
    for old in CACHE.glob("samba-*"):
        if old.is_dir() and old != keep and time.time() - old.stat().st_mtime > 86400:
            shutil.rmtree(old, ignore_errors=True)


def _has_address(address: str) -> bool:
    out = subprocess.run(
        [_which("ip"), "-o", "-4", "addr", "show", "dev", "lo"], capture_output=True
    )
    return f" {address}/" in out.stdout.decode()


def _port_free(address: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


@dataclass
class _Address:
    address: str
    added: bool
    lock: object


def _claim_address() -> _Address:
    """A loopback address of its own for this session's DC, 127.0.0.1 as a last resort."""
    for address in ADDRESSES[1:] if _which("ip") else ():
        lock = open(CACHE / f"samba-{address}.lock", "w")  # noqa: SIM115 (held for the session)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            continue
        if not all(_port_free(address, port) for port in (389, 636)):
            lock.close()
            continue
        if _has_address(address):
            return _Address(address, False, lock)
        added = subprocess.run(
            [_which("ip"), "addr", "add", f"{address}/32", "dev", "lo"], capture_output=True
        )
        if added.returncode == 0:
            return _Address(address, True, lock)
        lock.close()
        break  # adding addresses is not allowed here
    lock = open(CACHE / "samba-127.0.0.1.lock", "w")  # noqa: SIM115
    fcntl.flock(lock, fcntl.LOCK_EX)  # one session at a time on the standard ports
    return _Address("127.0.0.1", False, lock)


def _release_address(claimed: _Address) -> None:
    if claimed.added:
        subprocess.run(
            [_which("ip"), "addr", "del", f"{claimed.address}/32", "dev", "lo"], check=False
        )
    claimed.lock.close()


@dataclass(frozen=True)
class ADUser:
    dn: str
    sam: str  # sAMAccountName (DOMAIN\\sam)
    upn: str  # userPrincipalName (sam@corp.example)

    def __str__(self) -> str:
        return self.dn


@dataclass
class DomainController:
    """One running Samba DC. ``url``/``ca_file`` are what DIRECTORY_URL/DIRECTORY_CA_FILE get."""

    folder: Path
    address: str
    process: subprocess.Popen | None = None
    start_seconds: float = 0.0
    _ous: list[str] = field(default_factory=list)

    base_dn = BASE_DN
    staff_ou = STAFF_OU
    service_dn = SERVICE_DN
    service_password = SERVICE_PASSWORD
    admin_dn = f"CN=Administrator,CN=Users,{BASE_DN}"
    admin_password = ADMIN_PASSWORD
    agents_dn = AGENTS_DN
    admins_dn = ADMINS_DN
    lockout_threshold = LOCKOUT_THRESHOLD
    lockout_minutes = LOCKOUT_MINUTES

    @property
    def url(self) -> str:
        return f"ldaps://{self.address}:636"

    @property
    def ca_file(self) -> str:
        return str(self.folder / "private" / "tls" / "ca.pem")

    @property
    def conf(self) -> Path:
        return self.folder / "etc" / "smb.conf"

    # --- the server -----------------------------------------------------------------------
    def start(self, *, deadline_seconds: float = 60) -> None:
        began = time.monotonic()
        log = open(self.folder / "samba.out", "ab")  # noqa: SIM115 (the child's output)
        self.process = subprocess.Popen(
            [_which("samba"), "--foreground", "--no-process-group", "-M", "single",
             "-s", str(self.conf)],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"samba exited ({self.process.returncode}): {self._log_tail()}")
            if Path(self.ca_file).exists() and self._answers():
                break
            if time.monotonic() - began > deadline_seconds:
                self.stop()
                raise RuntimeError(f"samba's LDAPS did not answer: {self._log_tail()}")
            time.sleep(0.05)  # polling the server's start, not a test's wait
        self.start_seconds = time.monotonic() - began

    def _answers(self) -> bool:
        try:
            context = ssl.create_default_context(cafile=self.ca_file)
            context.check_hostname = False
            with (
                socket.create_connection((self.address, 636), timeout=0.5) as raw,
                context.wrap_socket(raw),
            ):
                return True
        except (OSError, ssl.SSLError):
            return False

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    @contextlib.contextmanager
    def stopped(self):
        """The DC down for the block, started again after it."""
        self.stop()
        try:
            yield self
        finally:
            self.start()

    def _log_tail(self) -> str:
        path = self.folder / "samba.out"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    # --- raw LDAP, for setting tests up and looking behind the portal -----------------------
    def connection(self, user: str | None = None, password: str | None = None) -> ldap3.Connection:
        """An ldap3 connection over LDAPS, bound as ``user`` (Administrator by default)."""
        tls = ldap3.Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=self.ca_file)
        server = ldap3.Server(
            self.address, port=636, use_ssl=True, tls=tls, connect_timeout=5, get_info=ldap3.NONE
        )
        conn = ldap3.Connection(
            server,
            user=user or self.admin_dn,
            password=password if user else self.admin_password,
            receive_timeout=10,
            raise_exceptions=False,
        )
        conn.open()
        return conn

    def admin(self) -> ldap3.Connection:
        conn = self.connection()
        if not conn.bind():
            raise RuntimeError(f"Administrator's bind failed: {conn.result}")
        return conn

    @contextlib.contextmanager
    def _admin(self):
        conn = self.admin()
        try:
            yield conn
        finally:
            conn.unbind()

    def ou_add(self, name: str | None = None) -> str:
        """A new OU below OU=Staff for one test's people (inherits the delegation)."""
        dn = f"OU={name or 't-' + uuid.uuid4().hex[:10]},{STAFF_OU}"
        with self._admin() as conn:
            conn.add(dn, ["top", "organizationalUnit"])
            _ok(conn, "add OU")
        return dn

    def user_add(self, ou: str, name: str, password: str, **attributes) -> ADUser:
        """A user below ``ou`` with ``password``, enabled unless ``userAccountControl`` says.
        sAMAccountName is unique in the whole domain: ``name`` gets a short unique tail."""
        sam = f"{name}-{uuid.uuid4().hex[:6]}"[:20]
        user = ADUser(dn=f"CN={sam},{ou}", sam=sam, upn=f"{sam}@{REALM.lower()}")
        values = {
            "sAMAccountName": sam,
            "userPrincipalName": user.upn,
            "unicodePwd": unicode_pwd(password),
            "userAccountControl": 512,  # NORMAL_ACCOUNT
            **attributes,
        }
        with self._admin() as conn:
            conn.add(user.dn, ["top", "person", "organizationalPerson", "user"], values)
            _ok(conn, f"add {sam}")
        return user

    def member_add(self, group_dn: str, user_dn: str) -> None:
        with self._admin() as conn:
            conn.modify(group_dn, {"member": [(ldap3.MODIFY_ADD, [user_dn])]})
            _ok(conn, "add member")

    def modify(self, dn: str, changes: dict) -> None:
        with self._admin() as conn:
            conn.modify(dn, changes)
            _ok(conn, f"modify {dn}")

    def read(self, dn: str, *attributes: str) -> dict[str, str]:
        """The first value of each attribute of ``dn`` as text ("" for "", "-" for the rootDSE)."""
        with self._admin() as conn:
            base = "" if dn == "-" else dn
            conn.search(base, "(objectClass=*)", ldap3.BASE, attributes=list(attributes) or ["*"])
            _ok(conn, f"read {dn}")
            found = conn.response[0]["attributes"]
            return {name: (values[0] if values else "") for name, values in found.items()}

    def bind_result(self, user: str, password: str) -> dict:
        """The server's answer to a simple bind as ``user`` (a DN or a UPN)."""
        conn = self.connection(user, password)
        try:
            conn.bind()
            return dict(conn.result)
        finally:
            conn.unbind()

    def lock_out(self, user: str) -> None:
        """Lock ``user`` the way the directory does: ``lockout_threshold`` wrong binds."""
        for _ in range(LOCKOUT_THRESHOLD):
            self.bind_result(user, "Not-The-Password-0")


def unicode_pwd(password: str) -> bytes:
    """AD's ``unicodePwd`` value: the password in double quotes, UTF-16LE."""
    return f'"{password}"'.encode("utf-16-le")


def _ok(conn: ldap3.Connection, what: str) -> None:
    if conn.result.get("result") != 0:
        raise RuntimeError(f"{what}: {conn.result.get('description')} {conn.result.get('message')}")


def _session_conf(template: str, folder: Path, address: str) -> str:
    """The provisioned smb.conf for this session's folder: loopback only, LDAP only."""
    lines = []
    for line in template.replace("@TARGET@", str(folder)).splitlines():
        key = line.strip().split("=", 1)[0].strip().lower()
        if key in ("interfaces", "bind interfaces only", "server services", "log file"):
            continue
        lines.append(line)
        if line.strip() == "[global]":
            lines += [
                f"\tinterfaces = {address}",
                "\tbind interfaces only = yes",
                "\tserver services = ldap",
                f"\tlog file = {folder}/log.%m",
                f"\ttls keyfile = {folder}/private/tls/key.pem",
                f"\ttls certfile = {folder}/private/tls/cert.pem",
                f"\ttls cafile = {folder}/private/tls/ca.pem",
                f"\tpid directory = {folder}/run",
                f"\tncalrpc dir = {folder}/ncalrpc",
                f"\twinbindd socket directory = {folder}/winbindd",
            ]
    return "\n".join(lines) + "\n"


def start_session_dc(tmp_root: Path) -> tuple[DomainController, _Address, float]:
    began = time.monotonic()
    cache = cached_domain()
    provision_seconds = time.monotonic() - began
    claimed = _claim_address()
    folder = tmp_root / "samba"
    shutil.copytree(cache, folder, symlinks=True)
    for sub in ("run", "ncalrpc", "winbindd"):
        (folder / sub).mkdir(exist_ok=True)
    conf = _session_conf((folder / "smb.conf.template").read_text(), folder, claimed.address)
    (folder / "etc" / "smb.conf").write_text(conf)
    dc = DomainController(folder=folder, address=claimed.address)
    try:
        dc.start()
    except Exception:
        _release_address(claimed)
        raise
    return dc, claimed, provision_seconds


_running: list = []  # [dc, claimed address, users]: one DC per session, however it is imported


@pytest.fixture(scope="session")
def samba_dc(tmp_path_factory):
    """The session's running Samba AD DC (see the module's docstring). A module that imports
    this fixture gets its own fixture definition; they all share the one DC."""
    reason = samba_reason()
    if reason:
        pytest.skip(f"[samba] {reason}")
    if not _running:
        dc, claimed, provision_seconds = start_session_dc(tmp_path_factory.mktemp("ad"))
        ready, up = f"{provision_seconds:.1f}", f"{dc.start_seconds:.1f}"
        print(f"\nsamba DC on {dc.url}: domain ready in {ready} s, up in {up} s")
        _running[:] = [dc, claimed, 0]
    _running[2] += 1
    try:
        yield _running[0]
    finally:
        _running[2] -= 1
        if _running[2] == 0:
            dc, claimed, _users = _running
            _running.clear()
            dc.stop()
            _release_address(claimed)


@pytest.fixture
def ad_ou(samba_dc) -> str:
    """An OU of this test's own below OU=Staff."""
    return samba_dc.ou_add()


@pytest.fixture
def ad_directory(settings, samba_dc, ad_ou):
    """The portal configured for the session's DC (DIRECTORY_KIND=ad), its base this test's OU;
    connections and the cached lockout policy forgotten before and after."""
    from directory.connection import connections_close
    from directory.selectors import policy_forget

    settings.DIRECTORY_URLS = [samba_dc.url]
    settings.DIRECTORY_KIND = "ad"
    settings.DIRECTORY_BIND_DN = samba_dc.service_dn
    settings.DIRECTORY_BIND_PASSWORD = samba_dc.service_password
    settings.DIRECTORY_BASE_DN = ad_ou
    settings.DIRECTORY_CA_FILE = samba_dc.ca_file
    settings.DIRECTORY_AGENT_GROUP_DN = samba_dc.agents_dn
    settings.DIRECTORY_ADMIN_GROUP_DN = samba_dc.admins_dn
    connections_close()
    policy_forget()
    yield ad_ou
    connections_close()
    policy_forget()
