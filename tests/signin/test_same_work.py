"""A real account and an unknown name cost the same work, so an answer's timing tells nothing
(``bench/bench_signin.py`` measures the gap; these tests keep it closed without timing anything):
a wrong password and an attempt while locked run the same SQL statements (tables, verbs, order;
only the literals differ), build the same model instances and hash the same way. An attempt
refused while locked still counts against the client IP, so hammering a locked name (and
sampling its timing) ends in the IP's block like any other run of failures."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from signin.models import Lock, Scope
from tests.factories import UserFactory
from tests.signin.conftest import browser, fail, post_login, sign_in
from tests.signin.hashers import RecordingHasher
from tests.signin.ip_state import ip_status
from tests.sql_shape import shape

pytestmark = pytest.mark.django_db


@dataclass
class Work:
    status: int
    statements: list[str]
    built: Counter
    hashing: list[str]


def work(client, typed: str) -> Work:
    """What one wrong-password request for ``typed`` does: SQL, model instances (with the
    related objects each is built holding: an audit row handed its account object does more
    work than one handed none, and the database checks the foreign key only when there is one),
    hashing."""
    built: Counter = Counter()

    def count(sender, instance, **kwargs):
        built[sender.__name__] += 1
        for field in sender._meta.concrete_fields:
            if field.many_to_one and field.is_cached(instance):
                held = type(field.get_cached_value(instance)).__name__
                built[f"{sender.__name__}.{field.name} holds {held}"] += 1

    RecordingHasher.calls = []
    post_init.connect(count)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = post_login(client, typed)
    finally:
        post_init.disconnect(count)
    statements = [shape(q["sql"]) for q in queries.captured_queries]
    return Work(response.status_code, statements, built, list(RecordingHasher.calls))


@pytest.fixture
def accounts(db, settings):
    """Accounts whose hashes are the hasher's in force (a sign-in upgrades any other)."""
    settings.PASSWORD_HASHERS = ["tests.signin.hashers.RecordingHasher"]
    UserFactory(username="real.person", phone="+8613710000060")
    UserFactory(username="left.company", is_active=False)
    UserFactory(username="li.na")


def wrong_password_work(typed: str, client=None) -> Work:
    client = client or browser()
    fail(client, typed, 1)  # the first failure: a counter row to count on, as for any later one
    return work(client, typed)


def locked_work(typed: str, client=None) -> Work:
    client = client or browser()
    fail(client, typed, 5)
    return work(client, typed)


def with_a_cookie_of_another_account() -> object:
    """A browser known to an account of its own (li.na), as an attacker's could be."""
    client = browser()
    assert sign_in(client, "li.na").status_code == HTTPStatus.FOUND
    client.post("/accounts/logout/")
    return client


@pytest.mark.parametrize("name", ["real.person", "left.company"])
@pytest.mark.parametrize("cookie", [False, True], ids=["no cookie", "cookie of another account"])
def test_a_wrong_password_does_the_same_work_for_an_account_and_an_unknown_name(
    accounts, name, cookie, clock
):
    def client():
        return with_a_cookie_of_another_account() if cookie else browser()

    real = wrong_password_work(name, client())
    unknown = wrong_password_work("nobody.here", client())

    assert real == unknown
    assert real.status == HTTPStatus.OK
    assert real.hashing == ["verify"]  # a password checked against a stored hash, never made
    assert real.built["User"] == 1  # the account found, or one built the same way


@pytest.mark.parametrize("name", ["real.person", "left.company"])
@pytest.mark.parametrize("cookie", [False, True], ids=["no cookie", "cookie of another account"])
def test_an_attempt_while_locked_does_the_same_work_for_an_account_and_an_unknown_name(
    accounts, name, cookie, clock
):
    def client():
        return with_a_cookie_of_another_account() if cookie else browser()

    real = locked_work(name, client())
    unknown = locked_work("nobody.here", client())

    assert real == unknown
    assert real.status == HTTPStatus.TOO_MANY_REQUESTS
    assert real.hashing == []
    assert len(real.statements) == 2  # the lock read, the refusal's audit row


@pytest.mark.parametrize(
    ("lock_by", "typed"),
    [
        ("zhang.wei", "zhang.wei"),  # refused quickly, by the lock's own row
        ("zhang.wei", "zhang.wei@corp.example.cn"),  # refused by the account's counter
        ("nobody.here", "NOBODY.here"),
    ],
)
def test_attempts_refused_while_locked_count_against_the_ip_until_it_is_blocked(
    user, lock_by, typed, settings, clock
):
    settings.LOCKOUT_IP_FAILURE_LIMIT = 8
    attacker = browser(REMOTE_ADDR="203.0.113.9")
    fail(attacker, lock_by, 5)
    refused = fail(attacker, typed, 3)  # the IP's 6th, 7th and 8th failures: the 8th blocks it

    assert [r.status_code for r in refused] == [HTTPStatus.TOO_MANY_REQUESTS] * 3
    assert "This account is temporarily locked" in refused[-1].content.decode()
    block = Lock.objects.get(scope=Scope.IP)
    assert block.key == "203.0.113.9" and ip_status(ip="203.0.113.9")[1] == block.reference
    assert AuditEvent.objects.get(event="signin.ip_blocked").data["reference"] == block.reference
    other = fail(attacker, "someone.else", 1)[0]
    assert other.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many failed sign-ins from your network" in other.content.decode()
    assert fail(browser(REMOTE_ADDR="198.51.100.7"), "someone.else", 1)[0].status_code == 200
    # A trusted network is never counted or blocked, refusals included.
    settings.LOCKOUT_TRUSTED_NETWORKS = ["10.8.0.0/16"]
    office = browser(REMOTE_ADDR="10.8.3.4")
    assert fail(office, typed, 10)[-1].status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert ip_status(ip="10.8.3.4") == (0, None)
    assert fail(office, "someone.else", 1)[0].status_code == HTTPStatus.OK
