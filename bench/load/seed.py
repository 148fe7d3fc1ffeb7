"""Seed the load bench's database: employees (one production hash, shared by all: seeding 1 000
hashes would take longer than the run), the stuffing wave's victim, and a trusted OIDC client.
Prints what the load generator needs as JSON. Run with the web nodes' environment."""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.utils import timezone  # noqa: E402

PASSWORD = "correct horse battery staple"
REDIRECT = "https://crm.example.cn/oauth/callback"


def main() -> int:
    from accounts.models import User
    from sso.models import Client as App

    employees = int(os.environ.get("BENCH_LOAD_EMPLOYEES", "1000"))
    encoded, now = make_password(PASSWORD), timezone.now()
    names = [f"emp{n:05d}" for n in range(employees)] + ["victim.owner"]
    User.objects.bulk_create(
        [
            User(
                username=name,
                email=f"{name}@corp.example.cn",
                phone=f"+86139{n:08d}",
                email_verified_at=now,
                phone_verified_at=now,
                first_name="Load",
                last_name="Employee",
                password=encoded,
            )
            for n, name in enumerate(names)
        ],
        batch_size=1000,
    )
    secret = secrets.token_urlsafe(32)
    app = App(
        name="CRM",
        skip_authorization=True,
        client_type=App.CLIENT_CONFIDENTIAL,
        redirect_uris=REDIRECT,
        client_secret=secret,
    )
    app.full_clean()
    app.save()
    json.dump(
        {
            "employees": names[:-1],
            "victim": names[-1],
            "password": PASSWORD,
            "client_id": app.client_id,
            "client_secret": secret,
            "redirect_uri": REDIRECT,
        },
        sys.stdout,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
