"""`make stack`'s configuration (deploy/stack.py runs the processes): where everything lives, the
processes' environment, and what the first run makes: secrets, the OpenID Connect signing key,
the self-signed certificate, the database (created, migrated, static files, demo data)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class Stack:
    dir: Path
    https_port: int
    http_port: int
    web_ports: tuple[int, int]
    redis_port: int
    database_url: str

    @property
    def base_url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def ca_file(self) -> Path:
        return self.dir / "tls" / "cert.pem"

    def pid_file(self, name: str) -> Path:
        return self.dir / "run" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.dir / "logs" / f"{name}.log"


def stack_from_env(environ: dict[str, str] | None = None) -> Stack:
    environ = os.environ if environ is None else environ
    web = [int(p) for p in environ.get("STACK_WEB_PORTS", "8101,8102").split(",")]
    if len(web) != 2:
        raise SystemExit("stack: STACK_WEB_PORTS names two ports, e.g. 8101,8102")
    return Stack(
        dir=Path(environ.get("STACK_DIR", str(ROOT / "var" / "stack"))).resolve(),
        https_port=int(environ.get("STACK_HTTPS_PORT", "8443")),
        http_port=int(environ.get("STACK_HTTP_PORT", "8080")),
        web_ports=(web[0], web[1]),
        redis_port=int(environ.get("STACK_REDIS_PORT", "6391")),
        database_url=environ.get(
            "STACK_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal_stack"
        ),
    )


def say(message: str) -> None:
    print(f"stack: {message}", flush=True)


# --- First run: secrets, keys, the certificate, the database ------------------------------
def secret_file(path: Path, make) -> str:
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
    return path.read_text().strip()


def tls_ensure(stack: Stack) -> None:
    """A self-signed certificate for 127.0.0.1 and localhost (made once), and a CA bundle of the
    system's CAs plus it, for the processes that call the portal back over https."""
    from datetime import UTC, datetime, timedelta
    from ipaddress import ip_address

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = stack.dir / "tls"
    key_path = folder / "key.pem"
    if not stack.ca_file.exists() or not key_path.exists():
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Account Portal stack")])
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=825))
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]
                ),
                critical=False,
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_path.chmod(0o600)
        stack.ca_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        say(f"made a self-signed certificate: {stack.ca_file}")
    system = SYSTEM_CAS.read_text() if SYSTEM_CAS.exists() else ""
    (folder / "ca-bundle.pem").write_text(system + "\n" + stack.ca_file.read_text())


def oidc_key_make() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def environment(stack: Stack) -> dict[str, str]:
    """What every process of the stack runs with (written to env.json at a full start)."""
    secrets_dir = stack.dir / "secrets"
    portal_var = stack.dir / "portal"
    for folder in ("run", "logs", "tls", "redis", "mail", "nginx/tmp", secrets_dir, portal_var):
        (stack.dir / folder).mkdir(parents=True, exist_ok=True)
    secret_file(secrets_dir / "django-secret-key", lambda: secrets.token_urlsafe(60))
    secret_file(secrets_dir / "lock-status-api-secret", lambda: secrets.token_urlsafe(32))
    secret_file(secrets_dir / "oidc-key.pem", oidc_key_make)
    bundle = str(stack.dir / "tls" / "ca-bundle.pem")
    defaults = {
        "EMAIL_URL": f"filemail://{stack.dir / 'mail'}",
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(stack.dir / "sms.jsonl"),
        "LOG_LEVEL": "INFO",
        "GUNICORN_WORKERS": "2",
    }
    fixed = {
        # The tests' stack shortens the outbox's recovery times (tests/stack/stack_settings.py).
        "DJANGO_SETTINGS_MODULE": os.environ.get("STACK_SETTINGS_MODULE", "portal.settings"),
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": (secrets_dir / "django-secret-key").read_text().strip(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_BASE_URL": stack.base_url,
        "PORTAL_VAR_DIR": str(portal_var),
        "TRUSTED_PROXY_COUNT": "1",
        "DATABASE_URL": stack.database_url,
        "REDIS_URL": stack.redis_url,
        "CELERY_BROKER_URL": stack.redis_url,
        "LOCK_STATUS_API_SECRET": (secrets_dir / "lock-status-api-secret").read_text().strip(),
        "SSO_OIDC_PRIVATE_KEY_FILE": str(secrets_dir / "oidc-key.pem"),
        "DEMO_CRM_ENABLED": "1",
        # The demo CRM and the back-channel logout call the portal back through nginx.
        "REQUESTS_CA_BUNDLE": bundle,
        "SSL_CERT_FILE": bundle,
        "PYTHONUNBUFFERED": "1",
    }
    caller = {
        key: value
        for key, value in os.environ.items()
        if key.startswith(PORTAL_PREFIXES) and key != "SSO_OIDC_PRIVATE_KEY"
    }
    return {**defaults, **caller, **fixed}


# The caller's variables the stack passes on: what portal/settings.py and gunicorn read.
PORTAL_PREFIXES = (
    "DJANGO_",
    "PORTAL_",
    "EMAIL_",
    "DEFAULT_FROM_EMAIL",
    "SMS_",
    "PHONE_",
    "MESSENGER_",
    "MESSAGING_",
    "TIME_ZONE",
    "LANGUAGE_CODE",
    "SECURE_",
    "SESSION_",
    "LOCKOUT_",
    "SELF_UNLOCK_",
    "PASSWORD_",
    "NOTICE_",
    "SSO_",
    "DIRECTORY_",
    "DEMO_CRM_",
    "GUNICORN_",
    "LOG_LEVEL",
)


def database_ensure(stack: Stack, env: dict[str, str]) -> None:
    from urllib.parse import urlsplit

    import psycopg

    url = urlsplit(stack.database_url)
    if url.scheme not in {"postgres", "postgresql"}:
        raise SystemExit("stack: STACK_DATABASE_URL must be a postgres:// URL")
    name = url.path.lstrip("/")
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')  # a name from our own setting
            say(f"created database {name}")
    manage = [str(BIN / "python"), "manage.py"]
    log = stack.log_file("setup")
    # The static files need no database: collected while the migrations run.
    with log.open("ab") as out:
        static = subprocess.Popen(
            [*manage, "collectstatic", "--noinput"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    for step in (["migrate", "--noinput"], ["seed_demo"]):
        result = subprocess.run(
            manage + step, cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        log.open("a").write(result.stdout + result.stderr)
        if result.returncode != 0:
            static.wait()
            raise SystemExit(f"stack: manage.py {step[0]} failed:\n{result.stderr[-2000:]}")
    if static.wait() != 0:
        raise SystemExit(f"stack: manage.py collectstatic failed; see {log}")
