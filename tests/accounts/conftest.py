"""Fixtures of the security-page and code tests: each test starts with empty outboxes, and reads
the code from the real outbox (locmem email / locmem SMS). The reset journey's are in
tests/reset/conftest.py."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from messaging import sms

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def last_code(channel: str = "email") -> str:
    if channel == "email":
        assert mail.outbox, "no email was sent"
        return CODE.search(mail.outbox[-1].body).group(1)
    assert sms.outbox, "no SMS was sent"
    return CODE.search(sms.outbox[-1].body).group(1)


@pytest.fixture(autouse=True)
def _empty_outboxes():
    mail.outbox = []
    sms.outbox.clear()
    yield
