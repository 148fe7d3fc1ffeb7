"""Run the outbox sweep once (what beat runs every 30 s): for cron on a deployment without beat,
or to push a backlog out right after the broker came back."""

from django.core.management.base import BaseCommand

from messaging.services import outbox_sweep


class Command(BaseCommand):
    help = "Expire, wipe, recover and re-queue outbox messages once."

    def handle(self, *args, **options):
        result = outbox_sweep()
        self.stdout.write(" ".join(f"{key}={value}" for key, value in result.items()))
