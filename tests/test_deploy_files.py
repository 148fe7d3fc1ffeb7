"""The deployment files a user copies (deploy/) stay true to the code: deploy/.env.example lists
every variable portal/settings.py reads, and the nginx site with its proxy snippet passes
`nginx -t` (the snippet is also what `make stack`'s nginx runs, tests/stack)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READERS = r"(?:env\.str|bool_var|int_var|list_var|url_var|networks_var|_secret_var)"


def _settings_variables() -> set[str]:
    text = (ROOT / "portal" / "settings.py").read_text()
    names = set(re.findall(READERS + r'\(\s*"([A-Z0-9_]+)"', text))
    # A secret read by _secret_var may come from NAME_FILE instead.
    names |= {f"{n}_FILE" for n in re.findall(r'_secret_var\(\s*"([A-Z0-9_]+)"', text)}
    return names


def _example_variables() -> set[str]:
    text = (ROOT / "deploy" / ".env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_<>]+)=", text, re.MULTILINE))


def test_env_example_lists_every_variable_settings_reads():
    read = _settings_variables()
    assert len(read) > 80  # the pattern still finds settings.py's readers
    missing = read - _example_variables()
    assert not missing, f"add to deploy/.env.example: {sorted(missing)}"
    assert "MESSENGER_ROBOT_<NAME>_URL" in _example_variables()


def test_env_example_names_nothing_settings_does_not_read():
    gunicorn = set(
        re.findall(r'"(GUNICORN_[A-Z_]+)"', (ROOT / "deploy" / "gunicorn.conf.py").read_text())
    )
    robots = {name for name in _example_variables() if "<NAME>" in name}
    unknown = _example_variables() - _settings_variables() - gunicorn - robots
    assert not unknown, unknown


def test_the_nginx_site_and_its_proxy_snippet_pass_nginx_t(tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is missing (apt-get install nginx; .ci/run installs it)")
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal.example.cn")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    # The site as a user installs it; only the paths of this machine and resolvable nodes swapped.
    site = (
        (ROOT / "deploy" / "nginx" / "portal.conf")
        .read_text()
        .replace(
            "/etc/nginx/snippets/portal-proxy.conf", str(ROOT / "deploy/nginx/portal-proxy.conf")
        )
        .replace("/etc/ssl/portal/fullchain.pem", str(tmp_path / "cert.pem"))
        .replace("/etc/ssl/portal/privkey.pem", str(tmp_path / "key.pem"))
        .replace("web-1:8000", "127.0.0.1:8000")
        .replace("web-2:8000", "127.0.0.1:8001")
    )
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{ include /etc/nginx/mime.types; include {tmp_path}/site.conf; }}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
