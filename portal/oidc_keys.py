"""The OpenID Connect provider's RSA signing keys, read once by portal/settings.py.

A key comes from the environment (``SSO_OIDC_PRIVATE_KEY``: one or more PEM blocks) or from
files (``SSO_OIDC_PRIVATE_KEY_FILE``: comma-separated paths), never from the database. The first
key signs; every key is published in the JWKS, so during a rotation the new key is listed first
and the old one second until the ID tokens it signed have expired (docs/sso.md).

With no key configured, a debug server and the test suite get one generated once into the
portal's var/ directory (``dev_key``); production gets none, and the provider's OpenID Connect
endpoints stay off.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from portal.env import ConfigError

PEM_BLOCK = re.compile(
    r"-----BEGIN (?:RSA )?PRIVATE KEY-----.+?-----END (?:RSA )?PRIVATE KEY-----", re.DOTALL
)


def oidc_keys_read(*, pem_text: str, files: list[str], base_dir: Path) -> list[str]:
    """The PEM keys, signing key first. ``pem_text`` and ``files`` are exclusive."""
    if pem_text.strip() and files:
        raise ConfigError("set SSO_OIDC_PRIVATE_KEY or SSO_OIDC_PRIVATE_KEY_FILE, not both")
    if pem_text.strip():
        keys = PEM_BLOCK.findall(pem_text.replace("\\n", "\n"))
        if not keys:
            raise ConfigError("SSO_OIDC_PRIVATE_KEY holds no PEM private key")
        return [_checked(key, "SSO_OIDC_PRIVATE_KEY") for key in keys]
    keys = []
    for name in files:
        path = Path(name) if Path(name).is_absolute() else base_dir / name
        try:
            text = path.read_text()
        except OSError as exc:
            raise ConfigError(
                f"SSO_OIDC_PRIVATE_KEY_FILE: cannot read {path} ({exc.strerror})"
            ) from None
        found = PEM_BLOCK.findall(text)
        if len(found) != 1:
            raise ConfigError(f"SSO_OIDC_PRIVATE_KEY_FILE: {path} must hold one PEM private key")
        keys.append(_checked(found[0], f"SSO_OIDC_PRIVATE_KEY_FILE ({path})"))
    return keys


def _checked(pem: str, where: str) -> str:
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError(f"{where}: not a readable, unencrypted PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ConfigError(f"{where}: the key must be RSA, 2048 bits or more (RS256)")
    return pem


def dev_key(var_dir: Path) -> str:
    """A key for a debug server and the tests: generated once into ``var_dir``, then reused.
    Never used in production (portal/settings.py calls it only in debug or tests)."""
    path = var_dir / "oidc-dev-key.pem"
    if not path.exists():
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        var_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.replace(tmp, path)  # two processes at once: both keys are fine, one wins
    return path.read_text()
