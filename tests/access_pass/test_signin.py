"""Signing in with the pass: once, within its hour, while the password is locked; wrong tries
capped and counted on the shared limits; the same answer and the same work for an unknown name;
then nothing opens but the new password or passkey, and the request is resolved."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from access_pass.door import ENROL
from access_pass.models import AccessPass, PassState
from access_pass.services import passes_expire
from access_pass.tasks import expire_sweep
from audit.models import AuditEvent
from signin import lockout
from signin.selectors import lock_status
from tests.access_pass.conftest import pass_in  # noqa: F401
from tests.factories import DEFAULT_PASSWORD
from tests.sql_shape import shape
from tests.tickets.conftest import lock_account
from tickets.models import EventKind, TicketStatus
from tickets.services.passes import ticket_pass_issue

URL = "/accounts/pass/"
NEW_PASSWORD = "a long phrase nobody guesses 42"


def issue(ticket, agent) -> str:
    _ticket, issued = ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    return issued.secret


def sign_in(client: Client, secret: str, username: str = "zhang.wei", **extra):
    return client.post(URL, {"username": username, "access_pass": secret, **extra})


@pytest.fixture
def browser():
    return Client(REMOTE_ADDR="10.9.9.9")


def test_the_pass_signs_in_once_and_holds_the_session_to_enrolment(
    verified_ticket, agent, browser, django_capture_on_commit_callbacks
):
    secret = issue(verified_ticket, agent)
    with django_capture_on_commit_callbacks(execute=True):
        response = sign_in(browser, secret.lower())
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/pass/enrol/"
    assert browser.session[ENROL]["pass"] == AccessPass.objects.get().pk
    row = AccessPass.objects.get()
    assert row.state == PassState.USED and row.used_ip == "10.9.9.9"
    signed_in = AuditEvent.objects.filter(event="signin.succeeded").latest("id")
    assert signed_in.data["second_step"] == "access_pass"
    assert AuditEvent.objects.filter(event="access_pass.used").count() == 1
    assert verified_ticket.events.filter(kind=EventKind.PASS_USED).exists()
    # Nothing but the enrolment pages opens.
    assert browser.get("/account/")["Location"] == "/accounts/pass/enrol/"
    assert browser.get("/admin/")["Location"] == "/accounts/pass/enrol/"
    assert browser.post("/account/", {}).status_code == HTTPStatus.FORBIDDEN
    assert browser.get("/accounts/pass/enrol/").status_code == HTTPStatus.OK
    assert browser.get("/accounts/pass/password/").status_code == HTTPStatus.OK
    # The pass does not work a second time, in another browser either.
    again = sign_in(Client(REMOTE_ADDR="10.9.9.10"), secret)
    assert again.status_code == HTTPStatus.OK
    assert b"not right" in again.content


def test_it_works_while_the_password_is_locked_and_a_new_password_ends_it(
    verified_ticket, agent, browser, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    assert lock_status(username="zhang.wei").locked
    secret = issue(verified_ticket, agent)
    with django_capture_on_commit_callbacks(execute=True):
        assert sign_in(browser, secret, next="/account/").status_code == HTTPStatus.FOUND
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            "/accounts/pass/password/",
            {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/account/"  # the next the sign-in kept
    assert ENROL not in browser.session
    assert browser.get("/account/").status_code == HTTPStatus.OK  # still signed in, free now
    employee.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD)
    assert not lock_status(username="zhang.wei").locked
    changed = AuditEvent.objects.get(event="account.password_changed")
    assert changed.data["reason"] == "access_pass"
    assert AccessPass.objects.get().completed_how == "password"
    assert AuditEvent.objects.filter(event="access_pass.completed").count() == 1
    verified_ticket.refresh_from_db()
    assert verified_ticket.status == TicketStatus.RESOLVED
    assert verified_ticket.events.filter(kind=EventKind.PASS_COMPLETED).exists()


def test_a_refused_new_password_changes_nothing_and_keeps_the_hold(
    verified_ticket, agent, browser, employee
):
    sign_in(browser, issue(verified_ticket, agent))
    response = browser.post(
        "/accounts/pass/password/", {"new_password1": "zhang.wei", "new_password2": "zhang.wei"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ENROL in browser.session
    assert not AuditEvent.objects.filter(event="access_pass.completed").exists()


def test_the_pass_expires_after_its_hour(verified_ticket, agent, browser, clock):
    secret = issue(verified_ticket, agent)
    clock.advance(minutes=61)
    assert b"not right" in sign_in(browser, secret).content
    assert AccessPass.objects.get().state == PassState.EXPIRED
    assert AuditEvent.objects.filter(event="access_pass.expired").count() == 1


def test_the_sweep_expires_passes_nobody_tried(verified_ticket, agent, clock):
    issue(verified_ticket, agent)
    clock.advance(minutes=59)
    assert passes_expire() == 0
    clock.advance(minutes=2)
    assert expire_sweep() == 1  # the beat's task (CELERY_BEAT_SCHEDULE access-pass-expire)
    assert AccessPass.objects.get().state == PassState.EXPIRED


def test_wrong_tries_kill_the_pass_and_count_on_the_shared_ip_counter(
    verified_ticket, agent, browser, settings
):
    secret = issue(verified_ticket, agent)
    for _ in range(5):
        assert b"not right" in sign_in(browser, "ABCD-EFGH-JKMN").content
    row = AccessPass.objects.get()
    assert row.state == PassState.FAILED and row.failures == 5
    assert b"not right" in sign_in(browser, secret).content  # dead: even the right one
    assert AuditEvent.objects.filter(event="access_pass.failed").count() == 6
    # Each wrong pass is one failure on the sign-in's shared IP counter: at its limit, the IP's
    # block (what guessing passwords brings on) stops the pass page too.
    settings.LOCKOUT_IP_FAILURE_LIMIT = 8
    sign_in(browser, "ABCD-EFGH-JKMN")
    sign_in(browser, "ABCD-EFGH-JKMN")
    assert lockout.ip_block_reference("10.9.9.9")
    assert sign_in(browser, secret).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_too_many_wrong_passes_from_one_name_are_refused_for_a_while(browser, employee, settings):
    settings.ACCESS_PASS_TYPED_FAILURES_PER_HOUR = 3
    for i in range(3):
        sign_in(Client(REMOTE_ADDR=f"10.0.0.{i + 1}"), "ABCD-EFGH-JKMN", username="nobody.here")
    response = sign_in(browser, "ABCD-EFGH-JKMN", username="nobody.here")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert b"Too many wrong passes" in response.content


def _page(response, typed: str) -> str:
    """The page without what differs on every page (the CSRF token, the CSP nonce)."""
    text = response.content.decode().replace(typed, "")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'nonce="[^"]+"', "", text)


def _work(client, username, secret):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(URL, {"username": username, "access_pass": secret})
    return response, [shape(q["sql"]) for q in queries.captured_queries]


def test_an_unknown_name_gets_the_same_answer_and_work_as_a_wrong_pass(
    verified_ticket, agent, employee
):
    issue(verified_ticket, agent)
    wrong, wrong_sql = _work(Client(REMOTE_ADDR="10.2.0.1"), "zhang.wei", "ABCD-EFGH-JKMN")
    unknown, unknown_sql = _work(Client(REMOTE_ADDR="10.2.0.2"), "nobody.here", "ABCD-EFGH-JKMN")
    assert wrong.status_code == unknown.status_code == HTTPStatus.OK
    assert _page(wrong, "zhang.wei") == _page(unknown, "nobody.here")
    assert wrong_sql == unknown_sql


@pytest.mark.postgres  # the budgets are PostgreSQL's (SQLite sends the sign-in's records apart)
def test_query_budgets(verified_ticket, agent, browser, django_assert_num_queries):
    """A wrong pass: the name, the pass (locked), its tries, the audit row, the savepoints and the
    session (6); the right one adds the sign-in's records (11); a held page view: the session,
    the user and the passkey count (3)."""
    secret = issue(verified_ticket, agent)
    with django_assert_num_queries(6):
        sign_in(browser, "ABCD-EFGH-JKMN")
    with django_assert_num_queries(11):
        sign_in(browser, secret)
    with django_assert_num_queries(3):
        assert browser.get("/account/").status_code == HTTPStatus.FOUND


def test_the_new_password_goes_through_the_password_service(
    verified_ticket, agent, browser, employee, django_capture_on_commit_callbacks
):
    """The password rules, every other session ended, ``password_changed`` sent (the apps'
    back-channel logout listens to it): what a reset or a change does."""
    from accounts.signals import password_changed

    other = Client(REMOTE_ADDR="10.9.9.11")
    other.post("/accounts/login/", {"username": "zhang.wei", "password": DEFAULT_PASSWORD})
    assert other.get("/account/").status_code == HTTPStatus.OK
    heard = []

    def receiver(sender, *, user, reason, **kwargs):
        heard.append((user.pk, reason))

    password_changed.connect(receiver, dispatch_uid="test.access_pass")
    try:
        sign_in(browser, issue(verified_ticket, agent))
        with django_capture_on_commit_callbacks(execute=True):
            browser.post(
                "/accounts/pass/password/",
                {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
            )
    finally:
        password_changed.disconnect(dispatch_uid="test.access_pass")
    assert heard == [(employee.pk, "access_pass")]
    assert other.get("/account/").status_code == HTTPStatus.FOUND  # signed out there
    assert browser.get("/account/").status_code == HTTPStatus.OK  # not here
