"""Email backends standing in for an SMTP server's answers in the eager tests (the real SMTP
conversation is covered by test_smtp.py against aiosmtpd)."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail.backends.locmem import EmailBackend

_calls = {"n": 0}


class FlakyEmailBackend(EmailBackend):
    """Answers 451 (try later) for the first ``settings.FLAKY_FAILURES`` messages of the test."""

    def send_messages(self, messages):
        _calls["n"] += 1
        if _calls["n"] <= settings.FLAKY_FAILURES:
            raise smtplib.SMTPDataError(451, b"4.3.0 try again later")
        return super().send_messages(messages)


class RefusingEmailBackend(EmailBackend):
    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(
            {m.to[0]: (550, b"5.1.1 no such user") for m in messages}
        )


def reset() -> None:
    _calls["n"] = 0
