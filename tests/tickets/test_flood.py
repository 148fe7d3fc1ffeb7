"""A flood of unlock requests: what it may cost, and what it must leave for codes and security.

Requests come from many client IPs, each under ``TICKETS_RATE_IP``, so only the per-account
limits, the receipt's channel, the notice cap and the SMS budget's shares stand in the way.
"""

from __future__ import annotations

from collections import Counter
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from accounts.codes import code_issue
from audit.models import AuditEvent
from messaging import conf as messaging_conf
from messaging import sms
from messaging.models import OutboxMessage
from tests.factories import UserFactory
from tests.tickets.conftest import file_request, lock_account
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SPELLINGS = [
    "li.na",
    "li.na@corp.cn",
    "+8613610000242",
    "8613610000242",
    "008613610000242",
    "13610000242",
    "+86-136-1000-0242",
]
UNKNOWN_SPELLINGS = [
    "ghost.na",
    "ghost.na@corp.cn",
    "+8613610000299",
    "8613610000299",
    "008613610000299",
    "13610000299",
    "+86-136-1000-0299",
]


def _browser(n: int) -> Client:
    """A new browser on its own address: two requests per address stay far under the IP limit."""
    return Client(REMOTE_ADDR=f"10.{30 + n // 500}.{n // 2 % 250}.{n % 2 + 1}")


@pytest.fixture
def owner(db):
    return UserFactory(
        username="li.na", email="li.na@corp.cn", phone="+8613610000242", language="en"
    )


def _notices(user) -> Counter:
    rows = OutboxMessage.objects.filter(user=user).exclude(
        kind__in=["reset_code", "verification_code", "contact_code"]
    )
    return Counter(rows.values_list("channel", flat=True))


def test_a_flood_naming_one_account_leaves_room_for_its_code_and_lock_notice(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(40):
            response = file_request(_browser(n), username=SPELLINGS[n % 7], receipt="sms")
            assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.TOO_MANY_REQUESTS)
    cap = messaging_conf.get("MESSAGING_NOTICES_PER_ACCOUNT_HOUR")
    notices = _notices(owner)
    assert notices["email"] <= cap and notices["sms"] <= cap, notices
    assert len([m for m in mail.outbox if m.to == [owner.email]]) <= cap
    # The owner's reset code still goes by SMS...
    with django_capture_on_commit_callbacks(execute=True):
        issue = code_issue(user=owner, channel="sms", purpose="reset")
    assert issue.sent, issue.reason
    assert sms.outbox[-1].to == str(owner.phone) and sms.outbox[-1].kind == "reset_code"
    # ...and so does the lock notice when someone then locks the account.
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("li.na")
    assert [m.kind for m in sms.outbox if m.to == str(owner.phone)][-1] == "signin_locked"


def test_a_flood_naming_many_accounts_cannot_spend_the_share_kept_for_codes(
    settings, django_capture_on_commit_callbacks
):
    settings.SMS_BUDGET_HOUR = 20
    owners = [UserFactory() for _ in range(30)]
    with django_capture_on_commit_callbacks(execute=True):
        for n, person in enumerate(owners):
            assert (
                file_request(_browser(n), username=person.username, receipt="sms").status_code
                == HTTPStatus.FOUND
            )
    receipts = OutboxMessage.objects.filter(kind="ticket_received", channel="sms").count()
    share = messaging_conf.get("SMS_SHARE_COURTESY_PERCENT")
    assert 0 < receipts <= 20 * share // 100
    # Every refused receipt SMS is audited, and the receipt went by email instead.
    assert AuditEvent.objects.filter(event="messaging.sms_blocked").count() == 30 - receipts
    emailed = OutboxMessage.objects.filter(kind="ticket_received", channel="email").count()
    assert emailed == 30 - receipts
    victim = UserFactory(username="victim.wu")
    with django_capture_on_commit_callbacks(execute=True):
        issue = code_issue(user=victim, channel="sms", purpose="reset")
    assert issue.sent, issue.reason
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("victim.wu")
    kinds = [m.kind for m in sms.outbox if m.to == str(victim.phone)]
    assert kinds == ["reset_code", "signin_locked"]


def test_the_receipt_goes_by_email_unless_the_employee_asks_for_sms(
    owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert file_request(Client()).status_code == HTTPStatus.FOUND  # zhang.wei: unknown
        assert file_request(Client(), username="li.na").status_code == HTTPStatus.FOUND
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert sms.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        file_request(Client(), username="li.na", receipt="sms")
    assert [m.to for m in sms.outbox] == [str(owner.phone)]
    assert len(mail.outbox) == 1
    assert list(Ticket.objects.order_by("id").values_list("receipt_channel", flat=True)) == [
        "email",
        "email",
        "sms",
    ]


def test_an_sms_receipt_without_a_verified_phone_goes_by_email(
    django_capture_on_commit_callbacks,
):
    person = UserFactory(username="no.phone", phone_verified_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        file_request(Client(), username="no.phone", receipt="sms")
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert sms.outbox == []


def test_the_form_offers_the_receipt_channel_with_email_first(client, db):
    page = client.get("/tickets/unlock/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="receipt" value="email"' in page
    assert 'name="receipt" value="sms"' in page
    assert page.index('value="email"') < page.index('value="sms"')


# --- Item: one limit per account, whatever the spelling -------------------------------------
def test_the_account_limit_counts_every_spelling_of_one_account(
    owner, settings, django_capture_on_commit_callbacks
):
    """Seven spellings of one account, three times each: the visible limit (per canonical text)
    answers exactly as it does for seven spellings of an unknown name; behind it the account's
    own limit files at most three requests that tell the owner."""
    settings.MESSAGING_COURTESY_PER_ACCOUNT_HOUR = 100  # this test is about the tickets' limit
    answers = {}
    n = 0
    for label, spellings in (("known", SPELLINGS), ("unknown", UNKNOWN_SPELLINGS)):
        codes = []
        with django_capture_on_commit_callbacks(execute=True):
            for spelling in spellings:
                for _ in range(3):
                    n += 1
                    codes.append(file_request(_browser(n), username=spelling).status_code)
        answers[label] = codes
    assert answers["known"] == answers["unknown"]
    assert answers["known"].count(HTTPStatus.FOUND) == 9  # name, email, phone: 3 each
    mine = Ticket.objects.filter(user=owner)
    assert mine.count() == 9  # every accepted answer is a real request...
    assert mine.filter(over_account_limit=False).count() == 3  # ...three of them count
    assert len([m for m in mail.outbox if m.to == [owner.email]]) == 3
    limited = AuditEvent.objects.filter(event="ticket.account_limited", user=owner)
    assert limited.count() == 6
    assert not Ticket.objects.filter(user__isnull=True, over_account_limit=True).exists()


def test_agents_are_told_nothing_reaches_the_owner_for_a_request_over_the_limit(
    owner, settings, agent, django_capture_on_commit_callbacks
):
    from tickets.services import ticket_claim, ticket_resolve

    settings.TICKETS_RATE_ACCOUNT = "1/h"
    with django_capture_on_commit_callbacks(execute=True):
        file_request(_browser(1), username="li.na")
        file_request(_browser(2), username="li.na@corp.cn")
    first, second = Ticket.objects.order_by("id")
    assert not first.over_account_limit and second.over_account_limit
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        ticket_claim(ticket=second, agent=agent)
        ticket_resolve(ticket=second, agent=agent)
    assert len(mail.outbox) == 1  # the flood's copies never write to the owner
