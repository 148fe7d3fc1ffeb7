"""Issuing a temporary access pass from a request: readable, from ``secrets``, shown once or
sent, hashed at rest, one live pass per account, dual control for privileged accounts, each
step audited."""

from __future__ import annotations

import pytest
from django.core import mail

from access_pass.models import AccessPass, PassState
from access_pass.secret import ALPHABET, pass_digest, pass_matches, pass_normalize
from audit.models import AuditEvent
from messaging.models import OutboxMessage
from tests.access_pass.conftest import PASS, pass_in, verified
from tests.tickets.conftest import new_ticket
from tickets.errors import TicketError
from tickets.models import EventKind
from tickets.services.passes import (
    ticket_pass_approve,
    ticket_pass_decline,
    ticket_pass_issue,
    ticket_pass_revoke,
)


def test_a_shown_pass_is_readable_and_only_its_digest_is_kept(verified_ticket, agent):
    _ticket, issued = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="shown")
    secret = issued.secret
    assert PASS.fullmatch(secret), secret  # XXXX-XXXX-XXXX, no 0/O, 1/I/L
    assert len(secret.replace("-", "")) >= 12
    assert set(secret.replace("-", "")) <= set(ALPHABET)
    row = AccessPass.objects.get()
    assert row.state == PassState.ACTIVE
    assert row.digest == pass_digest(pass_normalize(secret))
    assert secret.replace("-", "") not in row.digest
    # Nowhere else in the database: no audit row, no timeline line, no message holds it.
    for data in AuditEvent.objects.values_list("data", flat=True):
        assert secret not in str(data) and secret.replace("-", "") not in str(data)
    for data in verified_ticket.events.values_list("data", "body"):
        assert secret not in str(data)
    assert not OutboxMessage.objects.filter(kind="access_pass_code").exists()
    # Typed as people type what they hear: small letters, spaces, full width.
    assert pass_matches(secret.lower().replace("-", " "), row.digest)
    assert pass_matches("".join(chr(ord(c) + 0xFEE0) for c in secret.replace("-", "")), row.digest)
    assert not pass_matches(secret[:-1] + ("2" if secret[-1] != "2" else "3"), row.digest)


def test_passes_differ_and_come_from_secrets(verified_ticket, agent):
    seen = set()
    for _ in range(5):
        _ticket, issued = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="shown")
        seen.add(issued.secret)
    assert len(seen) == 5


def test_a_new_pass_revokes_the_one_before(verified_ticket, agent):
    _t, first = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="shown")
    _t, second = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="shown")
    states = dict(AccessPass.objects.values_list("pk", "state"))
    assert states == {
        first.access_pass.pk: PassState.REVOKED,
        second.access_pass.pk: PassState.ACTIVE,
    }
    revoked = AuditEvent.objects.get(event="access_pass.revoked")
    assert revoked.data["pass"] == first.access_pass.pk
    assert revoked.data["why"] == "new_pass"


def test_a_pass_sent_by_email_reaches_only_the_verified_address(
    verified_ticket, agent, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _t, issued = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="email")
    assert issued.secret is None  # the agent never sees it
    pass_mail = [m for m in mail.outbox if PASS.search(m.body)]
    assert len(pass_mail) == 1 and pass_mail[0].to == [employee.email]
    secret = pass_in(pass_mail[0].body)
    assert pass_matches(secret, AccessPass.objects.get().digest)
    assert issued.access_pass.delivered_to and employee.email not in issued.access_pass.delivered_to
    sent = AuditEvent.objects.get(event="access_pass.sent")
    assert sent.data["channel"] == "email"
    # The owner is also told a pass was issued (a security notice, no pass in it).
    notices = OutboxMessage.objects.filter(kind="access_pass_notice")
    assert notices.exists()
    # Once delivered, no outbox row keeps the pass (a secret message is wiped after delivery).
    for row in OutboxMessage.objects.all():
        assert secret not in f"{row.subject}{row.body_text}{row.body_html}{row.params}"


def test_no_pass_before_the_caller_is_verified(employee, agent):
    ticket = new_ticket("zhang.wei")
    with pytest.raises(TicketError, match="Verify the caller"):
        ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    assert not AccessPass.objects.exists()


def test_no_pass_to_an_unverified_channel(verified_ticket, agent, employee):
    employee.phone_verified_at = None
    employee.save()
    with pytest.raises(TicketError):
        ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="sms")
    assert not AccessPass.objects.exists()


def test_a_privileged_account_needs_a_second_agent(
    boss, agent, agent2, django_capture_on_commit_callbacks
):
    ticket = verified(new_ticket("boss.chen"), agent, django_capture_on_commit_callbacks)
    ticket, issued = ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    assert issued is None
    assert AccessPass.objects.get().state == PassState.APPROVAL
    with pytest.raises(TicketError, match="Another agent"):
        ticket_pass_approve(ticket=ticket, agent=agent)
    ticket_pass_approve(ticket=ticket, agent=agent2)
    assert AccessPass.objects.get().state == PassState.APPROVED
    with pytest.raises(TicketError, match="approver may not issue"):
        ticket_pass_issue(ticket=ticket, agent=agent2, delivery="shown")
    _ticket, issued = ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    row = AccessPass.objects.get()
    assert issued.secret and row.state == PassState.ACTIVE
    assert (row.requested_by, row.approved_by, row.issued_by) == (agent, agent2, agent)
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert EventKind.PASS_REQUESTED in kinds and EventKind.PASS_APPROVED in kinds
    assert EventKind.PASS_ISSUED in kinds
    events = set(AuditEvent.objects.values_list("event", flat=True))
    assert {"access_pass.requested", "access_pass.approved", "access_pass.issued"} <= events


def test_an_approval_runs_out(boss, agent, agent2, clock, django_capture_on_commit_callbacks):
    ticket = verified(new_ticket("boss.chen"), agent, django_capture_on_commit_callbacks)
    ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    ticket_pass_approve(ticket=ticket, agent=agent2)
    clock.advance(minutes=61)
    with pytest.raises(TicketError, match="second agent must approve"):
        ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")


def test_a_declined_pass_is_never_issued(boss, agent, agent2, django_capture_on_commit_callbacks):
    ticket = verified(new_ticket("boss.chen"), agent, django_capture_on_commit_callbacks)
    ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    ticket_pass_decline(ticket=ticket, agent=agent2, reason="the caller did not sound like him")
    assert AccessPass.objects.get().state == PassState.DECLINED
    ticket, issued = ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")
    assert issued is None  # a fresh request for approval, not a pass
    assert AuditEvent.objects.filter(event="access_pass.declined").count() == 1


def test_revoke(verified_ticket, agent):
    ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="shown")
    ticket_pass_revoke(ticket=verified_ticket, agent=agent)
    assert AccessPass.objects.get().state == PassState.REVOKED
    with pytest.raises(TicketError, match="no temporary pass"):
        ticket_pass_revoke(ticket=verified_ticket, agent=agent)


def test_an_agent_cannot_issue_a_pass_for_their_own_account(agent):
    ticket = new_ticket("agent.wang")
    with pytest.raises(TicketError):
        ticket_pass_issue(ticket=ticket, agent=agent, delivery="shown")


def test_a_pass_sent_to_a_verified_wecom_id(
    verified_ticket, agent, employee, wecom_api, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from accounts.models import MessengerId

    MessengerId.objects.create(
        user=employee,
        provider="wecom",
        external_id="zhang.wei",
        source="import",
        verified_at=timezone.now(),
    )
    with django_capture_on_commit_callbacks(execute=True):
        _t, issued = ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="wecom")
    assert issued.secret is None
    (text,) = [t for t in wecom_api.texts_to("zhang.wei") if PASS.search(t)]
    assert pass_matches(pass_in(text), AccessPass.objects.get().digest)
    assert AuditEvent.objects.get(event="access_pass.sent").data["channel"] == "wecom"


def test_no_pass_to_a_messenger_without_a_verified_id(verified_ticket, agent):
    with pytest.raises(TicketError):
        ticket_pass_issue(ticket=verified_ticket, agent=agent, delivery="feishu")
    assert not AccessPass.objects.exists()
