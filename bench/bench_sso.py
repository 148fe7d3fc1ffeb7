"""Single sign-on: what the OpenID Connect provider's two busiest requests cost.

Prints, in one run:
- the token endpoint's code exchange (``POST /o/token/``, ``client_secret_basic``, PKCE S256,
  an RS256 ID token signed with a 2048-bit key, the access and refresh tokens stored as
  digests, the used code recorded, the audit row): p50 and p95, and requests per second per core
  (target >= 150) from this process's CPU time per exchange (what one core serves when kept
  busy; PostgreSQL's own work runs in its server process), beside the one-after-the-other rate
  of a single process, which also waits for the database;
- the authorize round for a signed-in browser (``GET /o/authorize/`` of a trusted client ->
  302 to the redirect URI with a code): p50 and p95 (target p50 <= 15 ms);
- what the client secret's check costs: the client-secret hasher (sso/hashers.py) against one
  verify of the password hasher (Argon2id), which every token request paid before.

Standalone: the test settings with the production hashers and the portal's RS256 key, on a
throwaway database (SQLite file, or PostgreSQL when DATABASE_URL is set).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import secrets
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings_test")

import django

django.setup()
logging.disable(logging.WARNING)

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from bench._common import test_db_create  # noqa: E402

PRODUCTION_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "sso.hashers.ClientSecretHasher",
]
N = int(os.environ.get("BENCH_SSO_N", "300"))
REDIRECT = "https://crm.example.cn/oauth/callback"
SCOPE = "openid profile email phone"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class Round:
    def __init__(self, browser: Client, client_id: str, secret: str) -> None:
        self.browser, self.client_id = browser, client_id
        pair = f"{client_id}:{secret}".encode()
        self.basic = "Basic " + base64.b64encode(pair).decode()
        self.server = Client()
        self.db_cpu: list[float] = []

    def authorize(self) -> tuple[str, str, float, float]:
        verifier, challenge = pkce()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": REDIRECT,
                "scope": SCOPE,
                "state": secrets.token_urlsafe(8),
                "nonce": secrets.token_urlsafe(8),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        cpu, started = time.process_time(), time.perf_counter()
        response = self.browser.get("/o/authorize/?" + query)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert response.status_code == 302, response.status_code
        code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
        return code, verifier, wall, cpu

    def exchange(self, code: str, verifier: str) -> tuple[float, float]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        db = backend_cpu()
        cpu, started = time.process_time(), time.perf_counter()
        response = self.server.post(
            "/o/token/",
            urlencode(data),  # as a client sends it (the test client's default is multipart)
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=self.basic,
        )
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        self.db_cpu.append(backend_cpu() - db)
        assert response.status_code == 200, response.content[:300]
        assert "id_token" in response.json()
        return wall, cpu


def backend_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL backend process serving this connection (when
    the server runs on this machine and its /proc is readable), else 0."""
    if connection.vendor != "postgresql":
        return 0.0
    pid = connection.connection.info.backend_pid if connection.connection else None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hasher_costs() -> tuple[float, float]:
    from django.contrib.auth.hashers import get_hasher

    secret = secrets.token_urlsafe(32)
    out = []
    for name in ("sso_pbkdf2_sha256", "argon2"):
        hasher = get_hasher(name)
        encoded = hasher.encode(secret, hasher.salt())
        times = []
        for _ in range(30):
            started = time.perf_counter()
            hasher.verify(secret, encoded)
            times.append(time.perf_counter() - started)
        out.append(statistics.median(times))
    return out[0], out[1]


def main() -> int:
    from sso.models import Client as App
    from tests.conftest import clear_cache
    from tests.factories import UserFactory

    test_db_destroy = test_db_create("sso")
    hashers = override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
    hashers.enable()
    from django.conf import settings

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"database: {connection.vendor}; cache: {cache}; {os.cpu_count()} cores; ID token RS256")
    try:
        user = UserFactory(username="zhang.wei", employee_id="E1001")
        secret = secrets.token_urlsafe(32)
        app = App(
            name="销售易 CRM",
            skip_authorization=True,
            client_type=App.CLIENT_CONFIDENTIAL,
            redirect_uris=REDIRECT,
            client_secret=secret,
        )
        app.full_clean()
        app.save()
        browser = Client()
        browser.force_login(user)
        bench = Round(browser, app.client_id, secret)
        for _ in range(20):  # warm-up
            bench.exchange(*bench.authorize()[:2])

        bench.db_cpu.clear()
        authorize_wall, authorize_cpu, token_wall, token_cpu = [], [], [], []
        started = time.perf_counter()
        for _ in range(N):
            code, verifier, wall, cpu = bench.authorize()
            authorize_wall.append(wall)
            authorize_cpu.append(cpu)
            wall, cpu = bench.exchange(code, verifier)
            token_wall.append(wall)
            token_cpu.append(cpu)
        elapsed = time.perf_counter() - started
        per_core = len(token_cpu) / sum(token_cpu)
        sequential = len(token_wall) / sum(token_wall)
        print(
            f"token endpoint, code exchange: p50 {pct(token_wall, 50) * 1000:.2f} ms, "
            f"p95 {pct(token_wall, 95) * 1000:.2f} ms; {per_core:.0f} per second per core from "
            f"CPU time (target >= 150); {sequential:.0f} per second one after the other"
        )
        db_cpu = sum(bench.db_cpu)
        if db_cpu:
            print(
                f"  PostgreSQL's backend CPU per exchange {db_cpu / N * 1000:.2f} ms; with it, "
                f"{N / (sum(token_cpu) + db_cpu):.0f} per second per core (web and database)"
            )
        print(
            f"authorize round, signed-in browser: p50 {pct(authorize_wall, 50) * 1000:.2f} ms, "
            f"p95 {pct(authorize_wall, 95) * 1000:.2f} ms (target p50 <= 15 ms); "
            f"CPU p50 {pct(authorize_cpu, 50) * 1000:.2f} ms"
        )
        print(f"  ({N} rounds in {elapsed:.1f} s)")
        fast, argon2 = hasher_costs()
        print(
            f"client secret check: {fast * 1000:.3f} ms (sso_pbkdf2_sha256, 1 000 iterations) "
            f"against {argon2 * 1000:.2f} ms for one Argon2id verify, which each token request "
            f"paid before"
        )
    finally:
        hashers.disable()
        clear_cache()
        test_db_destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main())
