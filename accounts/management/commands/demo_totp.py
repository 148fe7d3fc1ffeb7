"""DEMO ONLY: print the current authenticator code of a demo account (refused unless DEBUG)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "DEMO ONLY (DJANGO_DEBUG=1): print the current two-step code of a user."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        if not settings.DEBUG:
            raise CommandError("demo_totp works only in a debug (demo) setup.")
        device = TOTPDevice.objects.filter(user__username__iexact=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        self.stdout.write(f"{code:0{device.digits}d}")
