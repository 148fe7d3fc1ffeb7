"""Filing an unlock request without signing in: the public form and what it answers."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.core import mail

from audit.models import AuditEvent
from messaging import sms
from tests.tickets.conftest import file_request, form_data, form_nonce
from tickets.models import Ticket, TicketEvent, TicketStatus

STATUS_URL = re.compile(r"^/tickets/status/$")  # the token never rides in a Location
PRIVATE_LINK = re.compile(
    r'value="https://portal\.example\.cn/tickets/status/([A-Za-z0-9_-]{43})/"'
)


def _normalise(html: str) -> str:
    """A page with what legitimately differs per submission removed (CSRF token, reference,
    times), so two answers can be compared byte for byte."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r"UNL-\d{4}-\d{6}", "UNL-REF", html)
    html = re.sub(r"/tickets/status/[A-Za-z0-9_-]{43}/", "/tickets/status/TOKEN/", html)
    return html


def test_form_prefills_username_and_lock_reference_from_the_lock_page(client, db):
    response = client.get("/tickets/unlock/?username=zhang.wei&ref=LK-7F3Q2")
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'value="zhang.wei"' in page
    assert 'value="LK-7F3Q2"' in page
    assert 'name="website"' in page  # the honeypot is there, hidden from people


def test_a_request_gets_a_reference_and_a_private_status_link(client, employee):
    response = file_request(client)
    assert response.status_code == HTTPStatus.FOUND
    assert STATUS_URL.match(response["Location"])
    ticket = Ticket.objects.get()
    assert re.fullmatch(r"UNL-2\d{3}-\d{6}", ticket.reference)
    assert ticket.user == employee
    assert ticket.status == TicketStatus.NEW
    assert ticket.tried == ["waited", "reset"]
    page = client.get(response["Location"])
    assert page.status_code == HTTPStatus.OK
    assert ticket.reference in page.content.decode()
    token = PRIVATE_LINK.search(page.content.decode()).group(1)
    assert token not in ticket.token_hash  # only a hash of the token is stored
    assert page["Referrer-Policy"] == "no-referrer"
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]


def test_references_count_up_per_year(client, employee):
    file_request(client)
    file_request(client, username="someone.else")
    refs = sorted(Ticket.objects.values_list("reference", flat=True))
    assert [r[-6:] for r in refs] == ["000001", "000002"]


def test_known_and_unknown_accounts_get_identical_answers(
    employee, clock, django_capture_on_commit_callbacks
):
    from django.test import Client

    # The fake clock stands still: both requests are filed at the same instant, so neither is
    # "ahead" of the other in the queue and the pages may be compared whole.
    pages = {}
    for name in ("zhang.wei", "no.such.person"):
        browser = Client()
        with django_capture_on_commit_callbacks(execute=True):
            response = file_request(browser, username=name)
        assert response.status_code == HTTPStatus.FOUND
        assert STATUS_URL.match(response["Location"])
        page = browser.get(response["Location"])
        pages[name] = (page.status_code, _normalise(page.content.decode()))
    assert pages["zhang.wei"] == pages["no.such.person"]
    known, unknown = Ticket.objects.order_by("id")
    assert not known.account_unknown and known.user == employee
    assert unknown.account_unknown and unknown.user is None
    # Only the real account's verified contacts hear about it (by email: none asked for SMS).
    assert [m.to for m in mail.outbox] == [[employee.email]]
    assert sms.outbox == []


def test_the_received_notice_goes_out_once_even_if_the_task_runs_twice(filed):
    from tickets.services import ticket_notify_received

    ticket, _url = filed
    assert len(mail.outbox) == 1
    assert ticket.reference in mail.outbox[0].subject
    assert ticket_notify_received(ticket_id=ticket.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_filing_still_answers_and_the_notice_goes_out_later(
    client, employee, clock
):
    """Redis down at commit time: the employee still gets the status page at once (not a 500),
    and the periodic sweep sends the "request received" notice once the broker is back."""
    import time

    from tests.messaging.worker import dead_port, producer
    from tickets.tasks import tickets_reconcile_locks_task

    with producer(broker_url=f"redis://127.0.0.1:{dead_port()}/0", queue="tickets-test"):
        started = time.perf_counter()
        response = file_request(client)
        elapsed = time.perf_counter() - started
    assert response.status_code == HTTPStatus.FOUND
    assert STATUS_URL.match(response["Location"])
    assert elapsed < 2.0, f"filing took {elapsed:.2f} s with the broker down"
    ticket = Ticket.objects.get()
    assert ticket.received_notice_at is None
    assert mail.outbox == []
    tickets_reconcile_locks_task()  # too soon: the task may still be on its way
    assert mail.outbox == []
    clock.advance(minutes=3)
    tickets_reconcile_locks_task()
    tickets_reconcile_locks_task()
    assert len(mail.outbox) == 1
    assert ticket.reference in mail.outbox[0].subject


def test_a_typed_contact_is_only_noted_when_it_matches_a_verified_one(
    client, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_request(client, contact="attacker@evil.example")
    ticket = Ticket.objects.get()
    assert ticket.contact_given == "attacker@evil.example"
    assert ticket.contact_match == ""
    recipients = {addr for m in mail.outbox for addr in m.to}
    assert recipients == {employee.email}  # never the typed address
    file_request(client, contact=employee.email.upper())
    assert Ticket.objects.order_by("-id").first().contact_match == "email"
    file_request(client, contact="138" + str(employee.phone)[6:])
    assert Ticket.objects.order_by("-id").first().contact_match == "sms"


def test_double_click_files_one_request(client, employee):
    nonce = form_nonce(client)
    first = client.post("/tickets/unlock/", form_data(nonce))
    second = client.post("/tickets/unlock/", form_data(nonce))
    assert first.status_code == second.status_code == HTTPStatus.FOUND
    assert first["Location"] == second["Location"]
    assert Ticket.objects.count() == 1
    page = client.get(second["Location"])
    assert "already sent this request" in page.content.decode()


def test_a_form_from_another_session_is_refused_without_losing_the_text(client, employee):
    from django.test import Client

    nonce = form_nonce(Client())
    response = client.post("/tickets/unlock/", form_data(nonce, description="keep me"))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "keep me" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_honeypot_files_nothing_but_looks_normal(client, employee):
    response = file_request(client, website="http://spam.example")
    assert response.status_code == HTTPStatus.FOUND
    assert STATUS_URL.match(response["Location"])
    assert Ticket.objects.count() == 0
    assert AuditEvent.objects.filter(event="ticket.spam_blocked").count() == 1
    assert client.get(response["Location"]).status_code == HTTPStatus.NOT_FOUND


def test_rate_limit_per_username_applies_to_unknown_names_alike(client, employee, settings):
    settings.TICKETS_RATE_USERNAME = "2/h"
    settings.TICKETS_RATE_IP = "100/h"
    for name in ("zhang.wei", "no.such.person"):
        assert file_request(client, username=name).status_code == HTTPStatus.FOUND
        assert file_request(client, username=name.upper()).status_code == HTTPStatus.FOUND
        limited = file_request(client, username=name)
        assert limited.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert int(limited["Retry-After"]) > 0
        assert "Too many requests" in limited.content.decode()
    assert Ticket.objects.count() == 4


def test_rate_limit_per_ip_counts_every_post_and_ends(client, db, clock, settings):
    settings.TICKETS_RATE_IP = "3/h"
    for n in range(3):
        assert file_request(client, username=f"user{n}").status_code == HTTPStatus.FOUND
    assert file_request(client, username="user9").status_code == HTTPStatus.TOO_MANY_REQUESTS
    clock.advance(hours=1, seconds=1)
    assert file_request(client, username="user9").status_code == HTTPStatus.FOUND
    assert Ticket.objects.count() == 4


def test_rate_limit_is_per_client_ip(db, settings):
    from django.test import Client

    settings.TICKETS_RATE_IP = "1/h"
    one, two = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    assert file_request(one, username="a.b").status_code == HTTPStatus.FOUND
    assert file_request(one, username="c.d").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert file_request(two, username="c.d").status_code == HTTPStatus.FOUND
    # A forged X-Forwarded-For changes nothing (no trusted proxy configured).
    forged = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="10.0.0.99")
    assert file_request(forged, username="e.f").status_code == HTTPStatus.TOO_MANY_REQUESTS


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "x" * 10_000, "at most 150 characters"),
        ("username", "zhang wei", "no spaces"),
        ("username", "zhang\x00wei", "Null characters are not allowed"),
        ("username", "", "This field is required"),
        ("description", "y" * 10_000, "under 2000 characters"),
        ("description", "bell\x07", "control characters"),
        ("contact", "c" * 10_000, "at most 254 characters"),
        ("lock_reference", "DROP TABLE", "looks like LK-7F3Q2"),
        ("problem_since", "yesterday-ish", "Select a valid choice"),
        ("tried", ["waited", "hacked"], "Select a valid choice"),
    ],
)
def test_bad_input_gets_a_form_error_and_files_nothing(client, db, field, value, message):
    nonce = form_nonce(client)
    response = client.post(
        "/tickets/unlock/", form_data(nonce, **{field: value}), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert Ticket.objects.count() == 0


@pytest.mark.parametrize("username", [b"\xff\xfe\xfd", b"%FF%FE%FD"])
def test_non_utf8_body_is_a_clear_4xx(client, db, username):
    nonce = form_nonce(client)
    body = b"username=" + username + b"&problem_since=hour&nonce=" + nonce.encode()
    response = client.post(
        "/tickets/unlock/",
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "encoding we cannot read" in response.content.decode()
    assert Ticket.objects.count() == 0


def test_an_event_and_an_audit_row_record_the_filing(filed):
    ticket, _url = filed
    assert list(TicketEvent.objects.values_list("kind", flat=True)) == ["created"]
    row = AuditEvent.objects.get(event="ticket.created")
    assert row.user == ticket.user
    assert row.data["reference"] == ticket.reference
    assert row.ip == "127.0.0.1"


# --- During maintenance -------------------------------------------------------------------------
@pytest.fixture
def maintenance(db):
    from datetime import timedelta

    from django.utils import timezone

    from notices.models import Severity
    from notices.services import notice_create

    now = timezone.now()
    return notice_create(
        actor=None,
        title_zh="CRM 升级",
        title_en="CRM upgrade",
        severity=Severity.WARNING,  # disruptive: the form asks about it
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
    )


def test_during_maintenance_the_form_first_asks_about_it(client, maintenance, employee):
    page = client.get("/tickets/unlock/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Is your problem this maintenance?" in page
    assert "CRM upgrade" in page
    nonce = form_nonce(client)
    unanswered = client.post("/tickets/unlock/", form_data(nonce), HTTP_ACCEPT_LANGUAGE="en")
    assert unanswered.status_code == HTTPStatus.BAD_REQUEST
    assert "whether your problem is the maintenance" in unanswered.content.decode()
    it_is = client.post("/tickets/unlock/", form_data(nonce, maintenance_answer="maintenance"))
    assert it_is.status_code == HTTPStatus.OK
    assert "No request needed" in it_is.content.decode() or "无需" in it_is.content.decode()
    assert Ticket.objects.count() == 0
    it_is_not = client.post("/tickets/unlock/", form_data(nonce, maintenance_answer="other"))
    assert it_is_not.status_code == HTTPStatus.FOUND
    assert Ticket.objects.get().not_maintenance is True


def test_the_agent_sees_the_overlapping_notice(agent_client, maintenance, employee):
    from tests.tickets.conftest import new_ticket

    ticket = new_ticket("zhang.wei", not_maintenance=True)
    page = agent_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "CRM" in page
    assert "the employee said this is something else" in page
