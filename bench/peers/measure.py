"""One side of a peer comparison, in a process of its own: ``python bench/peers/measure.py SIDE``
with SIDE ``stock`` (bench/peers/stock: Django's views, stock django-axes and
django-oauth-toolkit) or ``ours`` (the portal's test settings with the production hashers).
Prints one JSON object of figures (ms) for bench/bench_peers.py.

Both sides: the Django test client through every middleware, the same hasher, a throwaway
database on the same PostgreSQL server; requests arrive as the TLS proxy hands them on
(``REMOTE_ADDR`` the proxy, ``X-Forwarded-For`` the client, the portal with
``TRUSTED_PROXY_COUNT=1``), except where a row says "direct".
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

SIDE = sys.argv[1]
sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ["DJANGO_SETTINGS_MODULE"] = (
    "bench.peers.stock.settings" if SIDE == "stock" else "portal.settings_test"
)

import django  # noqa: E402

django.setup()
logging.disable(logging.WARNING)

import time_machine  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench._common import test_db_create  # noqa: E402
from bench.bench_signin import HashClock, fill_attempts, pct  # noqa: E402

STOCK = SIDE == "stock"
PASSWORD = "correct horse battery staple"
LOGIN = "/accounts/login/"
RESET = "/accounts/password_reset/" if STOCK else "/accounts/password/reset/"
PROXY = "127.0.0.1"
N = int(os.environ.get("BENCH_PEERS_N", "60"))
REDIRECT = "https://crm.example.cn/oauth/callback"
HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "sso.hashers.ClientSecretHasher",
]


def user_make(username: str):
    user = get_user_model()(username=username, email=f"{username}@corp.example.cn")
    if not STOCK:
        user.phone = f"+86137{secrets.randbelow(10**8):08d}"
        user.email_verified_at = user.phone_verified_at = timezone.now()
    user.set_password(PASSWORD)
    user.save()
    return user


def via(client_ip: str, forged: str = "") -> dict:
    """What the TLS proxy hands on for a client at ``client_ip``."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": chain}


def post(client: Client, username: str, password: str, **meta) -> int:
    data = {"username": username, "password": password}
    return client.post(LOGIN, data, **meta).status_code


def signin_once(client: Client, username: str) -> float:
    started = time.perf_counter()
    status = post(client, username, PASSWORD, **via("10.1.0.1"))
    elapsed = time.perf_counter() - started
    assert status == 302, status
    client.post("/accounts/logout/", **via("10.1.0.1"))
    return elapsed


def reset_state() -> None:
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
    if STOCK:
        cache.clear()
    else:
        from signin.models import FailureCounter, Lock
        from tests.conftest import clear_cache

        Lock.objects.all().delete()
        FailureCounter.objects.all().delete()
        clear_cache()


def signin_figures(out: dict) -> None:
    """Sign-in p50 at 0 and 100 000 stored attempts; a locked attempt's cost; all with H."""
    user_make("bench.user")
    user_make("locked.user")
    clock = HashClock()
    for _ in range(20):
        clock.sample()
    client = Client()
    for _ in range(10):
        signin_once(client, "bench.user")  # warm-up; the portal's browser becomes known
    times, h = clock.interleaved(lambda: [signin_once(client, "bench.user")], N)
    out["h"], out["signin_0"] = h * 1000, pct(times, 50) * 1000
    locked = Client()
    for _ in range(5):
        post(locked, "locked.user", "wrong", **via("10.2.0.1"))

    def locked_once() -> list[float]:
        started = time.perf_counter()
        status = post(locked, "locked.user", "wrong", **via("10.2.0.1"))
        assert status in (403, 429), status
        return [time.perf_counter() - started]

    times, h = clock.interleaved(locked_once, N)
    out["locked"], out["locked_h"] = pct(times, 50) * 1000, h * 1000
    reset_state()
    fill_attempts(100_000, 0)
    for _ in range(5):
        signin_once(client, "bench.user")
    times, h = clock.interleaved(lambda: [signin_once(client, "bench.user")], N)
    out["signin_100k"], out["h_100k"] = pct(times, 50) * 1000, h * 1000
    reset_state()


def first_refused(statuses: list[int]) -> str:
    checked = next((i for i, s in enumerate(statuses) if s in (403, 429)), None)
    return f"all {len(statuses)}" if checked is None else str(checked)


def attack_figures(out: dict) -> None:
    """What each lets an attacker do, measured. Each row starts from an empty lockout state."""
    rows = {}
    for name in ("victim.a", "victim.b", "bystander", "victim.c"):
        user_make(name)
    # 1. One name, many addresses (direct: no proxy in front; the attacker's own addresses).
    statuses = [
        post(Client(), "victim.a", "wrong", REMOTE_ADDR=f"198.18.0.{n}") for n in range(1, 41)
    ]
    rows["a. one name, 40 addresses (direct): answered before the first refusal"] = first_refused(
        statuses
    )
    reset_state()
    # 2. The same through the TLS proxy, then a bystander with the right password.
    statuses = [post(Client(), "victim.b", "wrong", **via(f"198.18.1.{n}")) for n in range(1, 41)]
    rows["b. one name, 40 addresses (behind the proxy): answered before the first refusal"] = (
        first_refused(statuses)
    )
    status = post(Client(), "bystander", PASSWORD, **via("10.9.9.9"))
    rows["b. then another employee, right password, own address: answer"] = status
    reset_state()
    # 3. One address, many names, each attempt with a forged X-Forwarded-For first hop.
    statuses = [
        post(Client(), f"name{n}", "wrong", **via("203.0.113.9", forged=f"198.51.100.{n}"))
        for n in range(1, 61)
    ]
    rows["c. one address, 60 names, forged X-Forwarded-For: answered before the first refusal"] = (
        first_refused(statuses)
    )
    status = post(Client(), "bystander", PASSWORD, **via("10.9.9.10"))
    rows["c. then another employee, right password, own address: answer"] = status
    reset_state()
    # 4. Lock extension: locked, hammered 20 minutes later, tried with the right password at 31
    #    minutes and a day later (a new browser, a new address).
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        for n in range(5):
            post(Client(), "victim.c", "wrong", **via(f"198.18.2.{n + 1}"))
        clock.move_to(start + timedelta(minutes=20))
        post(Client(), "victim.c", "wrong", **via("198.18.2.99"))
        clock.move_to(start + timedelta(minutes=31))
        at_31 = post(Client(), "victim.c", PASSWORD, **via("10.9.9.11"))
        clock.move_to(start + timedelta(days=1, minutes=1))
        at_day = post(Client(), "victim.c", PASSWORD, **via("10.9.9.12"))
    rows["d. locked, attempted again at 20 min: right password at 31 min / after a day"] = (
        f"{at_31} / {at_day}"
    )
    reset_state()
    out["attack"] = rows


def reset_figures(out: dict) -> None:
    """Reset start for an existing and an unknown account, interleaved: p50 and the gap."""
    if not STOCK:
        from celery import current_app

        current_app.conf.task_always_eager = False  # as in production: the worker sends
        current_app.conf.broker_url = "memory://"
    user_make("real.person")
    cases = {"existing": "real.person", "unknown": "nobody.here"}
    field = "email" if STOCK else "identifier"

    def once(identifier: str, n: int) -> float:
        value = f"{identifier}@corp.example.cn" if STOCK else identifier
        data = {field: value} if STOCK else {field: value, "channel": "email"}
        started = time.perf_counter()
        response = Client().post(RESET, data, **via(f"10.3.{n // 250}.{n % 250 + 1}"))
        elapsed = time.perf_counter() - started
        assert response.status_code == 302, response.status_code
        return elapsed

    for _ in range(5):
        for identifier in cases.values():
            once(identifier, 0)
    times = {case: [] for case in cases}
    for n in range(N * 2):
        for case, identifier in cases.items():
            times[case].append(once(identifier, n))
    out["reset_existing"] = statistics.median(times["existing"]) * 1000
    out["reset_unknown"] = statistics.median(times["unknown"]) * 1000


def token_figures(out: dict) -> None:
    """The authorization code exchange at the token endpoint (PKCE, RS256 ID token)."""
    if STOCK:
        from oauth2_provider.models import Application as App
    else:
        from sso.models import Client as App
    user = user_make("oidc.user")
    secret = secrets.token_urlsafe(32)
    app = App(
        name="CRM",
        skip_authorization=True,
        client_type=App.CLIENT_CONFIDENTIAL,
        authorization_grant_type=App.GRANT_AUTHORIZATION_CODE,
        redirect_uris=REDIRECT,
        client_secret=secret,
        algorithm=App.RS256_ALGORITHM,
    )
    app.save()
    browser, server = Client(), Client()
    browser.force_login(user)
    basic = "Basic " + base64.b64encode(f"{app.client_id}:{secret}".encode()).decode()

    def exchange() -> float:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
        query = {
            "response_type": "code",
            "client_id": app.client_id,
            "redirect_uri": REDIRECT,
            "scope": "openid profile email",
            "state": "s",
            "nonce": "n",
            "code_challenge": challenge.rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        response = browser.get("/o/authorize/?" + urlencode(query), **via("10.4.0.1"))
        assert response.status_code == 302, response.status_code
        code = parse_qs(urlsplit(response["Location"]).query)["code"][0]
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        }
        started = time.perf_counter()
        response = server.post(
            "/o/token/",
            urlencode(data),
            content_type="application/x-www-form-urlencoded",
            HTTP_AUTHORIZATION=basic,
            **via("10.4.0.2"),
        )
        elapsed = time.perf_counter() - started
        assert response.status_code == 200 and "id_token" in response.json(), response.content
        return elapsed

    for _ in range(10):
        exchange()
    out["token"] = statistics.median([exchange() for _ in range(N * 2)]) * 1000


def main() -> int:
    destroy = test_db_create(f"peers_{SIDE}")
    knobs = {"PASSWORD_HASHERS": HASHERS if not STOCK else HASHERS[:2]}
    if not STOCK:
        from bench.bench_reset import NO_CAPS

        knobs |= {"TRUSTED_PROXY_COUNT": 1, **NO_CAPS}
    settings_override = override_settings(**knobs)
    settings_override.enable()
    smtp = None
    if STOCK:  # Django's reset view sends its mail in the request: to a local SMTP server
        from aiosmtpd.controller import Controller
        from aiosmtpd.handlers import Sink

        smtp = Controller(
            Sink(), hostname="127.0.0.1", port=int(os.environ["BENCH_PEER_SMTP_PORT"])
        )
        smtp.start()
    out: dict = {"side": SIDE}
    try:
        for part in os.environ.get("BENCH_PEERS_PARTS", "signin,attack,reset,token").split(","):
            globals()[f"{part}_figures"](out)
    finally:
        if smtp:
            smtp.stop()
        settings_override.disable()
        if not STOCK:
            from tests.conftest import clear_cache

            clear_cache()
        destroy()
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
