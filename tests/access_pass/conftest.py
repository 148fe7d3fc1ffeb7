# ruff: noqa: F811 (the tickets fixtures are imported to be used, and named as parameters)
"""Fixtures of the temporary access pass tests: a verified request and its agents (the tickets
tests' real role), and the pass issued and read the way an agent reads it."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tests.messengers.conftest import wecom_api  # noqa: F401 (fixture)
from tests.tickets.conftest import (  # noqa: F401 (fixtures)
    _english,
    admin_client_for,
    agent,
    agent2,
    boss,
    employee,
    last_code,
    lock_account,
    new_ticket,
)
from tickets.services import ticket_verify_check, ticket_verify_send

PASS = re.compile(r"\b([2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4})\b")


def verified(ticket, agent, capture):
    with capture(execute=True):
        ticket_verify_send(ticket=ticket, agent=agent, channel="email")
    return ticket_verify_check(ticket=ticket, agent=agent, code=last_code("email"))


@pytest.fixture
def verified_ticket(employee, agent, django_capture_on_commit_callbacks):
    ticket = verified(new_ticket("zhang.wei"), agent, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    return ticket


def pass_in(text: str) -> str:
    return PASS.search(text).group(1)
