"""accounts.codes for other apps (tickets' caller check): code_issue / code_verify."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts import codes
from accounts.models import ContactCodeDevice
from audit.models import AuditEvent
from messaging import sms
from tests.accounts.conftest import last_code
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(db):
    return StaffFactory(username="agent.one")


def _issue(user, channel="sms", agent=None, capture=None):
    with capture(execute=True):
        return codes.code_issue(user=user, channel=channel, purpose="caller_verify", actor=agent)


def test_issue_then_verify_once(user, agent, django_capture_on_commit_callbacks, clock):
    issue = _issue(user, agent=agent, capture=django_capture_on_commit_callbacks)
    assert issue.sent and issue.destination == "138****" + str(user.phone)[-4:]
    code = last_code(channel="sms")
    assert code not in str(issue)  # the agent never sees it
    assert codes.code_verify(user=user, purpose="caller_verify", code=code) is True
    assert codes.code_verify(user=user, purpose="caller_verify", code=code) is False
    sent = AuditEvent.objects.get(event="code.sent")
    assert sent.actor == agent and sent.data["purpose"] == "caller_verify"


def test_codes_of_one_purpose_or_account_never_serve_another(
    user, django_capture_on_commit_callbacks, clock
):
    other = UserFactory(username="li.na")
    _issue(user, capture=django_capture_on_commit_callbacks)
    code = last_code(channel="sms")
    assert codes.code_verify(user=other, purpose="caller_verify", code=code) is False
    assert codes.code_verify(user=user, purpose="contact_verify", code=code) is False
    assert codes.code_verify(user=user, purpose="caller_verify", code=code) is True


def test_only_verified_contacts_get_codes(django_capture_on_commit_callbacks):
    user = UserFactory(phone_verified_at=None)
    issue = _issue(user, capture=django_capture_on_commit_callbacks)
    assert not issue.sent and issue.reason == "no_contact"
    assert str(issue.message)
    assert sms.outbox == []


def test_inactive_accounts_get_no_code(django_capture_on_commit_callbacks):
    user = UserFactory(is_active=False)
    assert _issue(user, capture=django_capture_on_commit_callbacks).reason == "inactive"


def test_sms_only_to_allowed_regions(django_capture_on_commit_callbacks):
    user = UserFactory(phone="+14155550100")
    issue = _issue(user, capture=django_capture_on_commit_callbacks)
    assert not issue.sent and issue.reason == "sms_region"


def test_cooldown_and_hourly_caps(user, django_capture_on_commit_callbacks, clock):
    capture = django_capture_on_commit_callbacks
    assert _issue(user, "email", capture=capture).sent
    early = _issue(user, "email", capture=capture)
    assert early.reason == "cooldown" and early.retry_at is not None
    for _ in range(4):
        clock.advance(seconds=60)
        assert _issue(user, "email", capture=capture).sent
    clock.advance(seconds=60)
    assert _issue(user, "email", capture=capture).reason == "rate_limited"
    assert len(mail.outbox) == 5


def test_sms_caps_then_email(user, django_capture_on_commit_callbacks, clock):
    capture = django_capture_on_commit_callbacks
    for _ in range(3):
        assert _issue(user, "sms", capture=capture).sent
        clock.advance(seconds=60)
    assert _issue(user, "sms", capture=capture).reason == "sms_capped"
    assert _issue(user, "email", capture=capture).sent


def test_five_wrong_tries_kill_the_code(user, django_capture_on_commit_callbacks, clock):
    _issue(user, capture=django_capture_on_commit_callbacks)
    code = last_code(channel="sms")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert codes.code_verify(user=user, purpose="caller_verify", code=wrong) is False
    assert codes.code_verify(user=user, purpose="caller_verify", code=code) is False
    assert ContactCodeDevice.objects.get().throttling_failure_count == 5


def test_malformed_codes_are_refused_without_counting(
    user, django_capture_on_commit_callbacks, clock
):
    _issue(user, capture=django_capture_on_commit_callbacks)
    for junk in ("abcdef", "1" * 10_000, "", "12\x0034"):
        assert codes.code_verify(user=user, purpose="caller_verify", code=junk) is False
    assert ContactCodeDevice.objects.get().throttling_failure_count == 0
    assert codes.code_verify(user=user, purpose="caller_verify", code=last_code("sms")) is True


def test_bad_arguments_are_programming_errors(user):
    with pytest.raises(ValueError):
        codes.code_issue(user=user, channel="fax", purpose="caller_verify")
    with pytest.raises(ValueError):
        codes.code_issue(user=user, channel="sms", purpose="Bad Purpose!")
