"""Fixtures of the tickets tests: agents with the real role, an admin client, the public form."""

from __future__ import annotations

import re
from datetime import datetime
from http import HTTPStatus

import pytest
from django.test import Client

from accounts.roles import HELPDESK_AGENTS
from accounts.services import roles_sync
from tests.conftest import SHANGHAI
from tests.factories import StaffFactory, UserFactory, otp_force_login

NONCE = re.compile(r'name="nonce" value="([^"]+)"')


def at(hour: int, minute: int = 0, day: int = 24) -> datetime:
    """A time in November 2026, Shanghai (the fake clock starts on Tuesday the 24th, 09:00)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def make_agent(username: str):
    from django.contrib.auth.models import Group

    roles_sync()
    agent = StaffFactory(username=username)
    agent.groups.add(Group.objects.get(name=HELPDESK_AGENTS))
    return type(agent).objects.get(pk=agent.pk)  # fresh permission cache


@pytest.fixture
def agent(db):
    return make_agent("agent.wang")


@pytest.fixture
def agent2(db):
    return make_agent("agent.li")


def admin_client_for(user) -> Client:
    """A browser signed in to the admin, second factor included (the admin demands TOTP)."""
    client = Client()
    otp_force_login(client, user)
    return client


@pytest.fixture
def agent_client(agent):
    return admin_client_for(agent)


@pytest.fixture
def employee(db):
    return UserFactory(username="zhang.wei", first_name="伟", last_name="张", language="zh-hans")


@pytest.fixture
def boss(db):
    """A privileged account: unlocking it needs two agents."""
    return StaffFactory(username="boss.chen")


def form_nonce(client: Client, url: str = "/tickets/unlock/") -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return NONCE.search(response.content.decode()).group(1)


def form_data(nonce: str, **overrides) -> dict:
    data = {
        "username": "zhang.wei",
        "lock_reference": "",
        "contact": "",
        "problem_since": "hour",
        "tried": ["waited", "reset"],
        "description": "I typed my password wrong too many times.",
        "website": "",
        "nonce": nonce,
    }
    data.update(overrides)
    return data


def file_request(client: Client, **overrides):
    """Open the form, send it, return the response (a redirect to the status page)."""
    nonce = form_nonce(client)
    return client.post("/tickets/unlock/", form_data(nonce, **overrides))


@pytest.fixture
def filed(db, client, employee, django_capture_on_commit_callbacks):
    """A request filed through the public form for the employee: (ticket, status URL)."""
    from tickets.models import Ticket

    with django_capture_on_commit_callbacks(execute=True):
        response = file_request(client)
    assert response.status_code == HTTPStatus.FOUND
    return Ticket.objects.get(), response["Location"]


def new_ticket(username: str = "zhang.wei", **fields):
    """A request filed through the intake service (what the public form calls)."""
    from tickets.services import form_nonce_new, ticket_create

    fields.setdefault("problem_since", "hour")
    fields.setdefault("tried", [])
    return ticket_create(username=username, nonce=form_nonce_new(), **fields).ticket


@pytest.fixture
def ticket(employee):
    return new_ticket("zhang.wei")


def lock_account(username: str, *, ip: str = "10.1.1.1") -> None:
    """Lock an account the real way: wrong passwords at the sign-in page until it locks."""
    from signin import conf as signin_conf

    browser = Client(REMOTE_ADDR=ip)
    for _ in range(signin_conf.failure_limit()):
        browser.post(
            "/accounts/login/",
            {"username": username, "password": "not the password"},
            HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0 Safari/537",
        )


def last_code(channel: str = "email") -> str:
    """The code in the newest message to the employee (what the caller reads out)."""
    from django.core import mail

    from messaging import sms

    body = mail.outbox[-1].body if channel == "email" else sms.outbox[-1].body
    return re.search(r"\b(\d{6})\b", body).group(1)


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English; the Chinese pages and messages are checked explicitly."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
