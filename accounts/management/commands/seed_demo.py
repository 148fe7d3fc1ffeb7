"""Idempotent demo data: employees, one helpdesk agent, one admin, then what the higher layers
seed (``ACCOUNTS_DEMO_SEEDERS``: the demo CRM's client in debug). Prints the credentials."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import conf, twostep
from accounts.models import User
from accounts.roles import HELPDESK_AGENTS
from accounts.services import roles_sync

DEMO_PASSWORD = "Demo-Portal-2026!"

PEOPLE = [
    # username, first, last, email, phone, employee id, language, role
    ("zhang.wei", "伟", "张", "zhang.wei@example.cn", "+8613800138001", "E1001", "zh-hans", None),
    ("li.na", "娜", "李", "li.na@example.cn", "+8613800138002", "E1002", "zh-hans", None),
    ("alice", "Alice", "Smith", "alice@example.com", "+8613800138003", "E1003", "en", None),
    (
        "agent",
        "Helpdesk",
        "Agent",
        "agent@example.cn",
        "+8613800138010",
        "H2001",
        "zh-hans",
        "agent",
    ),
    ("admin", "Portal", "Admin", "admin@example.cn", "+8613800138020", "A3001", "en", "admin"),
]


class Command(BaseCommand):
    help = "Create demo employees, a helpdesk agent and an admin (safe to run again)."

    @transaction.atomic
    def handle(self, *args, **options):
        roles_sync()
        now = timezone.now()
        rows = []
        staff_devices = []
        for username, first, last, email, phone, emp, lang, role in PEOPLE:
            user = User.objects.filter(username__iexact=username).first()
            created = user is None
            if created:
                user = User(username=username)
                user.set_password(DEMO_PASSWORD)
                user.password_changed_at = now
            user.first_name, user.last_name = first, last
            user.email, user.phone, user.employee_id, user.language = email, phone, emp, lang
            user.email_verified_at = user.email_verified_at or now
            user.phone_verified_at = user.phone_verified_at or now
            user.is_staff = role in {"agent", "admin"}
            user.is_superuser = role == "admin"
            user.full_clean(exclude=["password"])
            user.save()
            if role == "agent":
                user.groups.set(user.groups.model.objects.filter(name=HELPDESK_AGENTS))
            if role in {"agent", "admin"}:
                staff_devices.append(_demo_authenticator(user))
            rows.append((username, role or "employee", "created" if created else "kept"))
        self.stdout.write(f"Demo accounts (password for new accounts: {DEMO_PASSWORD})")
        for username, role, state in rows:
            self.stdout.write(f"  {username:<10} {role:<9} {state}")
        self.stdout.write(
            "\nDEMO ONLY - staff reach /admin/ with the password and an authenticator code.\n"
            "Add these keys to an authenticator app, or print the current code with\n"
            "`python manage.py demo_totp <username>` (works only with DJANGO_DEBUG=1):"
        )
        for device in staff_devices:
            self.stdout.write(f"  {device.user.username:<10} key {twostep.secret_grouped(device)}")
            self.stdout.write(f"  {'':<10} {twostep.otpauth_uri(device)}")
        for seeder in conf.get("ACCOUNTS_DEMO_SEEDERS"):
            import_string(seeder)(stdout=self.stdout)


def _demo_authenticator(user: User) -> TOTPDevice:
    """A confirmed authenticator for a demo staff account (kept across runs)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=twostep.TOTP_NAME, confirmed=True)
    return device
