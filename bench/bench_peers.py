"""Peers side by side: what a buyer would install instead, on the same machine, the same
PostgreSQL server (a database each), the same password hasher, in one run; printed as ratios.

- Django's ``LoginView`` with stock django-axes 8.3.1 defaults (bench/peers/stock) against our
  sign-in: p50 with 0 and 100 000 stored attempts, a locked attempt's cost, and what each lets an
  attacker do (measured in bench/peers/measure.py, ``attack_figures``);
- Django's ``PasswordResetView`` (sending its mail in the request, to a local SMTP server)
  against our reset start: p50 for an existing and an unknown account, and the gap;
- django-oauth-toolkit's stock token endpoint (OIDC, RS256, PKCE) against ours with the
  portal's policy (lockout, audit, app sign-in records, back-channel bookkeeping);
- django-helpdesk's ticket list against our agent queue (bench/peers/helpdesk_peer and
  bench/peers/tickets.py), when installed.

Each side runs in a process of its own (``bench/peers/measure.py``), the two one after the other.
Needs the bench environment (``make bench``: django-helpdesk lives only there).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def side(name: str, script: str = "measure.py") -> dict:
    env = {**os.environ, "BENCH_PEER_SMTP_PORT": str(free_port()), "BENCH_PEER_OIDC_KEY": rsa_pem()}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "peers" / script), name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"{script} {name} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    stock, ours = side("stock"), side("ours")
    print(
        f"H (one production hash, each side's run): stock {stock['h']:.2f}, ours {ours['h']:.2f} ms"
    )
    print("Sign-in (POST /accounts/login/, right password, full request), p50 in H of its window:")
    for key, label in (
        ("signin_0", "0 stored attempts"),
        ("signin_100k", "100 000 stored attempts"),
    ):
        h_key = "h" if key == "signin_0" else "h_100k"
        s, o = stock[key] / stock[h_key], ours[key] / ours[h_key]
        print(
            f"  {label}: Django LoginView + stock axes {stock[key]:.2f} ms = {s:.3f} H; "
            f"ours {ours[key]:.2f} ms = {o:.3f} H; ours / stock {o / s:.2f}x"
        )
    growth_s = (stock["signin_100k"] / stock["h_100k"]) / (stock["signin_0"] / stock["h"])
    growth_o = (ours["signin_100k"] / ours["h_100k"]) / (ours["signin_0"] / ours["h"])
    print(f"  growth from 0 to 100 000 attempts: stock {growth_s:.2f}x, ours {growth_o:.2f}x")
    s, o = stock["locked"] / stock["locked_h"], ours["locked"] / ours["locked_h"]
    print(
        f"A locked attempt: stock axes' 429 {stock['locked']:.2f} ms = {s:.3f} H; our lock page "
        f"{ours['locked']:.2f} ms = {o:.3f} H; ours / stock {o / s:.2f}x"
    )
    print(
        "What each lets an attacker do (measured; stock axes defaults | ours; "
        "answers: 302 signed in, 429 refused):"
    )
    for row, value in stock["attack"].items():
        print(f"  {row}: {value} | {ours['attack'][row]}")
    print("Reset start (POST, existing account / unknown one, interleaved), p50:")
    for label, data in (("Django PasswordResetView", stock), ("ours", ours)):
        gap = data["reset_existing"] - data["reset_unknown"]
        print(
            f"  {label}: {data['reset_existing']:.2f} / {data['reset_unknown']:.2f} ms, "
            f"gap {gap:+.2f} ms ({data['reset_existing'] / data['reset_unknown']:.2f}x)"
        )
    ratio = ours["reset_existing"] / stock["reset_existing"]
    print(f"  ours / Django, existing account: {ratio:.2f}x")
    print(
        f"Code exchange (POST /o/token/, PKCE, RS256 ID token), p50: stock django-oauth-toolkit "
        f"{stock['token']:.2f} ms, ours {ours['token']:.2f} ms; ours / stock "
        f"{ours['token'] / stock['token']:.2f}x"
    )
    try:
        import helpdesk  # noqa: F401
    except ImportError:
        print("Tickets: skipped (django-helpdesk is installed only in the bench environment)")
        return 0
    peer, queue = side("helpdesk", "tickets.py"), side("ours", "tickets.py")
    print("Ticket list, an agent's first page, full requests, p50 (500 open, the rest closed):")
    for size in ("1000", "100000"):
        print(
            f"  {int(size):,} tickets: django-helpdesk {peer[size]:.2f} ms (page "
            f"{peer[size + '_page']:.2f} + its 50 rows' JSON {peer[size + '_rows']:.2f}), "
            f"our queue {queue[size]:.2f} ms; ours / helpdesk {queue[size] / peer[size]:.2f}x"
        )
    growth_p, growth_o = peer["100000"] / peer["1000"], queue["100000"] / queue["1000"]
    print(f"  100 000 against 1 000 tickets: django-helpdesk {growth_p:.2f}x, ours {growth_o:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
