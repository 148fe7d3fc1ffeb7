"""The signing keys: from the environment or files, never the database; during a rotation both
keys are published and the first signs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jwcrypto import jwk

from portal.env import ConfigError
from portal.oidc_keys import dev_key, oidc_keys_read
from tests.sso.oidc import authorize_query, code_from, exchange, pkce, register

ROOT = Path(__file__).resolve().parents[2]


def _pem(tmp_path: Path, name: str) -> str:
    return dev_key(tmp_path / name)


def test_keys_come_from_files_in_order(tmp_path):
    first, second = _pem(tmp_path, "a"), _pem(tmp_path, "b")
    files = [str(tmp_path / "a" / "oidc-dev-key.pem"), str(tmp_path / "b" / "oidc-dev-key.pem")]
    keys = oidc_keys_read(pem_text="", files=files, base_dir=tmp_path)
    assert keys == [first.strip(), second.strip()]


def test_keys_come_from_the_environment(tmp_path):
    first, second = _pem(tmp_path, "a"), _pem(tmp_path, "b")
    assert oidc_keys_read(pem_text=first + "\n" + second, files=[], base_dir=tmp_path) == [
        first.strip(),
        second.strip(),
    ]


@pytest.mark.parametrize(
    ("pem_text", "files", "needle"),
    [
        ("x", ["k.pem"], "not both"),
        ("no key here", [], "no PEM"),
        ("", ["missing.pem"], "cannot read"),
    ],
)
def test_a_bad_key_setting_stops_with_one_clear_message(tmp_path, pem_text, files, needle):
    with pytest.raises(ConfigError, match=needle):
        oidc_keys_read(pem_text=pem_text, files=files, base_dir=tmp_path)


def test_a_bad_key_file_stops_the_process_with_one_line(tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "1", "SSO_OIDC_PRIVATE_KEY_FILE": str(bad)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SSO_OIDC_PRIVATE_KEY_FILE" in result.stderr


@pytest.mark.django_db
def test_during_a_rotation_both_keys_are_published_and_the_first_signs(
    client, user, settings, tmp_path
):
    old = settings.OAUTH2_PROVIDER["OIDC_RSA_PRIVATE_KEY"]
    new = _pem(tmp_path, "new")
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": new,
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [old],
    }
    published = client.get("/o/.well-known/jwks.json").json()["keys"]
    kids = [key["kid"] for key in published]
    new_kid = jwk.JWK.from_pem(new.encode()).thumbprint()
    assert kids == [new_kid, jwk.JWK.from_pem(old.encode()).thumbprint()]

    rp = register()
    client.force_login(user)
    verifier, challenge = pkce()
    code = code_from(client.get(authorize_query(rp, challenge=challenge)))
    id_token = exchange(client, rp, code, verifier).json()["id_token"]
    header = json.loads(jwk.base64url_decode(id_token.split(".")[0]))
    assert header == {"alg": "RS256", "kid": new_kid, "typ": "JWT"}
