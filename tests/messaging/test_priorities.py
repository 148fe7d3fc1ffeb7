"""Priorities in the outbox: codes first, then security notices, then courtesy notices.

Courtesy SMS never fill the share of each SMS cap kept for security notices and codes; security
notices never fill the share kept for codes. Notices (everything but codes) are capped per account
and hour on every channel, email included; courtesy notices stop earlier.
"""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from messaging.errors import NoticeCapped, SmsBlocked
from messaging.kinds import Priority, kind_priority
from messaging.models import OutboxMessage
from messaging.services import messaging_notify_user, messaging_send
from tests.factories import UserFactory
from tests.messaging.spend import sms_usage

pytestmark = pytest.mark.django_db


def _sms(number: int, priority: str, **kwargs):
    return messaging_send(
        channel="sms",
        kind="messaging_test",
        context={},
        to_address=f"+86139000{number:05d}",
        priority=priority,
        **kwargs,
    )


def test_the_portals_kinds_declare_their_priority():
    assert kind_priority("reset_code") == Priority.CODE
    assert kind_priority("verification_code") == Priority.CODE
    assert kind_priority("contact_code") == Priority.CODE
    assert kind_priority("reset_invite") == Priority.CODE
    assert kind_priority("signin_locked") == Priority.SECURITY
    assert kind_priority("account_password_changed") == Priority.SECURITY
    assert kind_priority("reset_blocked") == Priority.SECURITY
    assert kind_priority("ticket_received") == Priority.COURTESY
    assert kind_priority("ticket_update") == Priority.COURTESY
    # A kind nobody classified can never eat what codes need.
    assert kind_priority("something_new") == Priority.COURTESY
    # The caller's word wins.
    assert kind_priority("something_new", Priority.SECURITY) == Priority.SECURITY


def test_an_unknown_priority_is_a_programming_error():
    with pytest.raises(ValueError, match="priority"):
        kind_priority("ticket_received", "urgent")


def test_each_class_stops_at_its_share_of_the_hourly_budget(settings, english):
    settings.SMS_BUDGET_HOUR = 10
    settings.SMS_SHARE_COURTESY_PERCENT = 50
    settings.SMS_SHARE_SECURITY_PERCENT = 80
    for n in range(5):
        _sms(n, Priority.COURTESY)
    with pytest.raises(SmsBlocked) as exc:
        _sms(5, Priority.COURTESY)
    assert exc.value.reason == "budget_hour"
    event = AuditEvent.objects.get(event="messaging.sms_blocked")
    assert event.data == {
        "reason": "budget_hour",
        "kind": "messaging_test",
        "limit": 5,
        "priority": "courtesy",
    }
    for n in range(10, 13):
        _sms(n, Priority.SECURITY)
    with pytest.raises(SmsBlocked):
        _sms(13, Priority.SECURITY)
    _sms(20, Priority.CODE)
    _sms(21, Priority.CODE)
    with pytest.raises(SmsBlocked):
        _sms(22, Priority.CODE)  # codes may use all of it, and no more
    assert OutboxMessage.objects.filter(channel="sms").count() == 10
    assert sms_usage()["budget_hour"] == 10


def test_the_daily_budget_keeps_its_shares_too(settings, clock):
    settings.SMS_BUDGET_HOUR = 1000
    settings.SMS_BUDGET_DAY = 4
    settings.SMS_SHARE_COURTESY_PERCENT = 50
    _sms(1, Priority.COURTESY)
    clock.advance(hours=1)
    _sms(2, Priority.COURTESY)
    with pytest.raises(SmsBlocked) as exc:
        _sms(3, Priority.COURTESY)
    assert exc.value.reason == "budget_day"
    _sms(4, Priority.CODE)


def test_courtesy_sms_to_one_number_leave_room_for_its_codes(settings):
    settings.SMS_CAP_PER_NUMBER_HOUR = 5
    for _ in range(2):
        _sms(7, Priority.COURTESY)
    with pytest.raises(SmsBlocked) as exc:
        _sms(7, Priority.COURTESY)
    assert exc.value.reason == "number_hour"
    _sms(7, Priority.SECURITY)
    _sms(7, Priority.SECURITY)
    with pytest.raises(SmsBlocked):
        _sms(7, Priority.SECURITY)
    _sms(7, Priority.CODE)


def test_a_refused_courtesy_sms_still_lets_the_email_go(
    settings, user, deliver_on_commit, sms_outbox
):
    settings.SMS_BUDGET_HOUR = 2
    settings.SMS_SHARE_COURTESY_PERCENT = 50
    with deliver_on_commit():
        first = messaging_notify_user(user=user, kind="ticket_received", context={"reference": "R"})
        second = messaging_notify_user(
            user=user, kind="ticket_received", context={"reference": "R"}
        )
    assert sorted(m.channel for m in first) == ["email", "sms"]
    assert [m.channel for m in second] == ["email"]
    assert len(mail.outbox) == 2 and len(sms_outbox) == 1
    blocked = AuditEvent.objects.get(event="messaging.sms_blocked", user=user)
    assert blocked.data["priority"] == "courtesy"


def test_notices_are_capped_per_account_and_hour_on_every_channel(
    settings, clock, deliver_on_commit, sms_outbox
):
    settings.MESSAGING_NOTICES_PER_ACCOUNT_HOUR = 4
    settings.MESSAGING_COURTESY_PER_ACCOUNT_HOUR = 2
    settings.SMS_CAP_PER_NUMBER_HOUR = 100
    settings.SMS_CAP_PER_ACCOUNT_DAY = 100
    owner = UserFactory()
    with deliver_on_commit():
        for _ in range(5):
            messaging_notify_user(user=owner, kind="ticket_update", context={"reference": "R"})
    assert len(mail.outbox) == 2 and len(sms_outbox) == 2
    capped = AuditEvent.objects.filter(event="messaging.notice_capped", user=owner)
    assert capped.count() == 6  # three dropped notices, on both channels
    assert capped.first().data == {
        "kind": "ticket_update",
        "channel": "sms",
        "priority": "courtesy",
        "limit": 2,
    }
    # Security notices still have the rest of the hour's cap...
    with deliver_on_commit():
        for _ in range(3):
            messaging_notify_user(user=owner, kind="account_password_changed", context={})
    assert len(mail.outbox) == 4 and len(sms_outbox) == 4
    # ...and codes are never counted here (they have their own caps in accounts.codes).
    with deliver_on_commit():
        messaging_send(
            channel="email",
            kind="verification_code",
            context={"code": "123456", "expires_minutes": 10},
            to_user=owner,
            secret=True,
        )
    assert len(mail.outbox) == 5
    with pytest.raises(NoticeCapped):
        messaging_send(channel="email", kind="account_password_changed", context={}, to_user=owner)
    clock.advance(hours=1)
    with deliver_on_commit():
        messaging_notify_user(user=owner, kind="ticket_update", context={"reference": "R"})
    assert len(mail.outbox) == 6


def test_a_dropped_notice_spends_nothing(settings, user):
    settings.MESSAGING_COURTESY_PER_ACCOUNT_HOUR = 1
    messaging_send(
        channel="sms", kind="messaging_test", context={}, to_user=user, priority="courtesy"
    )
    for _ in range(3):
        with pytest.raises(NoticeCapped):
            messaging_send(
                channel="sms", kind="messaging_test", context={}, to_user=user, priority="courtesy"
            )
    usage = sms_usage(phone=str(user.phone), user_id=user.pk)
    assert usage["budget_hour"] == 1 and usage["number_hour"] == 1
