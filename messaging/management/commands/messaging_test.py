"""Queue a test email and/or SMS through the outbox, to check a deployment's configuration:

python manage.py messaging_test --email ops@corp.cn --sms +8613800000000 [--language en]
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from messaging.errors import MessagingError
from messaging.services import messaging_send


class Command(BaseCommand):
    help = "Queue a test email and/or SMS through the outbox (delivered by the workers)."

    def add_arguments(self, parser):
        parser.add_argument("--email", help="address to send a test email to")
        parser.add_argument("--sms", help="mobile number to send a test SMS to")
        parser.add_argument("--language", default=None, help="zh-hans or en")

    def handle(self, *args, email=None, sms=None, language=None, **options):
        if not email and not sms:
            raise CommandError("give --email and/or --sms")
        try:
            with transaction.atomic():
                for channel, address in (("email", email), ("sms", sms)):
                    if address:
                        message = messaging_send(
                            channel=channel,
                            kind="messaging_test",
                            context={},
                            to_address=address,
                            language=language,
                        )
                        self.stdout.write(
                            f"queued {channel} #{message.pk} to {message.masked_recipient} "
                            f"(reference {message.reference})"
                        )
        except MessagingError as exc:
            raise CommandError(str(exc)) from None
