"""The SMS spend and abuse guard: caps per number, per account, global budget, regions."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from messaging.errors import SmsBlocked
from messaging.models import OutboxMessage
from messaging.services import messaging_notify_user, messaging_send
from messaging.spend import SMS_CAPS
from portal import limits
from tests.factories import UserFactory
from tests.messaging.spend import sms_usage

pytestmark = pytest.mark.django_db


def _sms(**kwargs):
    """A code-class SMS: it may fill every cap whole (the shares are in test_priorities.py)."""
    kwargs.setdefault("priority", "code")
    return messaging_send(channel="sms", kind="messaging_test", context={}, **kwargs)


def test_per_number_hourly_cap_blocks_audits_and_writes_no_message(settings, clock, english):
    settings.SMS_CAP_PER_NUMBER_HOUR = 3
    for _ in range(3):
        _sms(to_address="+8613912345678")
    with pytest.raises(SmsBlocked) as exc:
        _sms(to_address="+8613912345678")
    assert exc.value.reason == "number_hour"
    assert "Try email instead" in str(exc.value)
    assert OutboxMessage.objects.count() == 3
    event = AuditEvent.objects.get(event="messaging.sms_blocked")
    assert event.subject == "139****5678"
    assert event.data == {
        "reason": "number_hour",
        "kind": "messaging_test",
        "limit": 3,
        "priority": "code",
    }
    _sms(to_address="+8613912340000")  # another number is fine
    clock.advance(hours=1)
    _sms(to_address="+8613912345678")  # the next hour is fine


def test_per_number_daily_cap(settings, clock):
    settings.SMS_CAP_PER_NUMBER_HOUR = 100
    settings.SMS_CAP_PER_NUMBER_DAY = 4
    for _ in range(4):
        _sms(to_address="+8613912345678")
        clock.advance(hours=1, minutes=1)
    with pytest.raises(SmsBlocked) as exc:
        _sms(to_address="+8613912345678")
    assert exc.value.reason == "number_day"


def test_per_account_cap_counts_every_number_of_the_account(settings):
    settings.SMS_CAP_PER_ACCOUNT_DAY = 2
    user = UserFactory()
    _sms(to_user=user, to_address="+8613900000001")
    _sms(to_user=user, to_address="+8613900000002")
    with pytest.raises(SmsBlocked) as exc:
        _sms(to_user=user, to_address="+8613900000003")
    assert exc.value.reason == "account_day"
    assert AuditEvent.objects.get(event="messaging.sms_blocked").user == user


def test_global_hourly_budget(settings):
    settings.SMS_BUDGET_HOUR = 3
    for n in range(3):
        _sms(to_address=f"+861390000000{n}")
    with pytest.raises(SmsBlocked) as exc:
        _sms(to_address="+8613900000009")
    assert exc.value.reason == "budget_hour"


def test_a_refused_send_does_not_spend_the_budget(settings):
    settings.SMS_CAP_PER_NUMBER_HOUR = 1
    _sms(to_address="+8613900000001")
    for _ in range(5):
        with pytest.raises(SmsBlocked):
            _sms(to_address="+8613900000001")
    usage = sms_usage(phone="+8613900000001")
    assert usage["budget_hour"] == 1
    assert usage["number_hour"] == 1


def test_numbers_outside_the_allowed_regions_are_refused(settings, english):
    with pytest.raises(SmsBlocked) as exc:
        _sms(to_address="+14155552671")
    assert exc.value.reason == "region"
    assert str(exc.value) == "Text messages cannot be sent to numbers in this region."
    event = AuditEvent.objects.get(event="messaging.sms_blocked")
    assert event.subject == "+1 415****2671"
    assert not OutboxMessage.objects.exists()
    settings.SMS_ALLOWED_REGIONS = ["CN", "US"]
    _sms(to_address="+14155552671")


def test_email_is_never_capped_by_the_sms_guard(settings, user, deliver_on_commit):
    settings.SMS_BUDGET_HOUR = 1
    with deliver_on_commit():
        for _ in range(3):
            messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    assert len(mail.outbox) == 3


def test_notify_user_falls_back_to_email_when_sms_is_blocked(
    settings, user, deliver_on_commit, sms_outbox
):
    settings.SMS_CAP_PER_ACCOUNT_DAY = 1
    with deliver_on_commit():
        first = messaging_notify_user(user=user, kind="messaging_test", context={}, priority="code")
        second = messaging_notify_user(
            user=user, kind="messaging_test", context={}, priority="code"
        )
    assert sorted(m.channel for m in first) == ["email", "sms"]
    assert [m.channel for m in second] == ["email"]
    assert len(mail.outbox) == 2
    assert len(sms_outbox) == 1
    assert AuditEvent.objects.filter(event="messaging.sms_blocked", user=user).count() == 1


def test_cache_keys_never_hold_the_phone_number(settings):
    keys = [
        name
        for scope, _setting, _seconds, _per in SMS_CAPS.values()
        for name in limits.names(scope, "+8613912345678")
    ]
    assert not any("13912345678" in key for key in keys)
