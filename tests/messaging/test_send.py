"""messaging_send / messaging_notify_user: rendering, language, outbox rows, delivery on commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction

from messaging.errors import InvalidRecipient, MessageTooLarge, UnknownKind
from messaging.models import OutboxMessage
from messaging.services import messaging_notify_user, messaging_send
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_email_is_rendered_in_recipient_language_and_delivered_after_commit(
    user, deliver_on_commit
):
    user.language = "en"
    user.save()
    with deliver_on_commit():
        message = messaging_send(
            channel="email", kind="messaging_test", context={"note": "N1"}, to_user=user
        )
        assert mail.outbox == []  # nothing leaves before the commit
        assert message.status == OutboxMessage.Status.QUEUED
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.SENT
    assert message.attempts == 1
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [user.email]
    assert sent.subject == "Test message from Account Portal"
    assert "Hello Test Employee," in sent.body
    assert "N1" in sent.body
    assert "https://portal.example.cn" in sent.body  # the footer
    html, mimetype = sent.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="en">' in html
    assert sent.extra_headers["Message-ID"] == f"<{message.reference}@portal.example.cn>"


def test_chinese_recipient_gets_chinese(deliver_on_commit):
    user = UserFactory(language="zh-hans")
    with deliver_on_commit():
        messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    assert mail.outbox[0].subject.startswith("来自")
    assert "这是一条测试消息" in mail.outbox[0].body


def test_explicit_language_wins_over_the_users(user, deliver_on_commit):
    user.language = "zh-hans"
    user.save()
    with deliver_on_commit():
        messaging_send(
            channel="sms", kind="messaging_test", context={}, to_user=user, language="en"
        )
    from messaging import sms

    assert "Test message: text messages work." in sms.outbox[0].body


def test_text_bodies_are_not_html_escaped_but_html_is(user, deliver_on_commit):
    with deliver_on_commit():
        messaging_send(
            channel="email", kind="messaging_test", context={"note": "R&D <ops>"}, to_user=user
        )
    assert "R&D <ops>" in mail.outbox[0].body
    assert "R&amp;D &lt;ops&gt;" in mail.outbox[0].alternatives[0][0]


def test_rolled_back_transaction_sends_nothing(user, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
        raise RuntimeError("the caller's change failed")
    assert callbacks == []
    assert not OutboxMessage.objects.exists()
    assert mail.outbox == []


def test_sms_to_address_wins_and_is_normalised(user, deliver_on_commit, sms_outbox):
    with deliver_on_commit():
        message = messaging_send(
            channel="sms",
            kind="messaging_test",
            context={},
            to_user=user,
            to_address="139 1234 5678",
        )
    assert message.recipient == "+8613912345678"
    assert sms_outbox[0].to == "+8613912345678"
    assert sms_outbox[0].reference == str(message.reference)


def test_context_has_user_base_url_site_name_and_processor_values(
    user, settings, deliver_on_commit
):
    settings.MESSAGING_CONTEXT_PROCESSORS = ["tests.messaging.processors.maintenance"]
    user.language = "en"
    user.save()
    with deliver_on_commit():
        messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
        messaging_send(channel="sms", kind="messaging_test", context={}, to_user=user)
    from messaging import sms

    email = mail.outbox[0]
    assert "Planned maintenance:" in email.body
    assert "- CRM upgrade (Sat 22:00-23:00)" in email.body
    assert "CRM upgrade" in email.alternatives[0][0]
    assert "Maintenance: CRM upgrade Sat 22:00-23:00" in sms.outbox[0].body


def test_a_broken_context_processor_does_not_stop_the_message(user, settings, deliver_on_commit):
    settings.MESSAGING_CONTEXT_PROCESSORS = ["tests.messaging.processors.broken"]
    with deliver_on_commit():
        messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    assert len(mail.outbox) == 1


def test_notify_user_uses_verified_contacts_only(deliver_on_commit, sms_outbox):
    user = UserFactory(phone_verified_at=None)
    with deliver_on_commit():
        queued = messaging_notify_user(user=user, kind="messaging_test", context={})
    assert [m.channel for m in queued] == ["email"]
    assert len(mail.outbox) == 1
    assert sms_outbox == []


def test_notify_user_sends_both_when_both_are_verified(user, deliver_on_commit, sms_outbox):
    with deliver_on_commit():
        queued = messaging_notify_user(user=user, kind="messaging_test", context={})
    assert sorted(m.channel for m in queued) == ["email", "sms"]
    assert len(mail.outbox) == 1
    assert len(sms_outbox) == 1


def test_notify_user_skips_channels_the_kind_has_no_template_for(
    user, deliver_on_commit, sms_outbox, tmp_path, settings
):
    kind_dir = tmp_path / "messages" / "email_only_kind"
    kind_dir.mkdir(parents=True)
    (kind_dir / "subject.txt").write_text("Subject")
    (kind_dir / "body.txt").write_text("Body")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    with deliver_on_commit():
        queued = messaging_notify_user(user=user, kind="email_only_kind", context={})
    assert [m.channel for m in queued] == ["email"]
    assert sms_outbox == []


def test_unknown_kind_is_a_clear_error_and_writes_nothing(user):
    with pytest.raises(UnknownKind):
        messaging_send(channel="email", kind="no_such_kind", context={}, to_user=user)
    with pytest.raises(UnknownKind):
        messaging_send(channel="email", kind="../../etc", context={}, to_user=user)
    with pytest.raises(UnknownKind):
        messaging_notify_user(user=user, kind="no_such_kind", context={})
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "phone", ["not a number", "+86 123", "12345", "+86138\x0012345678", "+" + "8" * 40]
)
def test_unparseable_phone_is_refused_and_nothing_is_written(phone, english):
    with pytest.raises(InvalidRecipient) as exc:
        messaging_send(channel="sms", kind="messaging_test", context={}, to_address=phone)
    assert str(exc.value) == "This mobile number cannot be read."
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    "address",
    [
        "victim@corp.cn\nBcc: everyone@corp.cn",
        "victim@corp.cn\r\n",
        "a@b\x00.cn",
        "no-at-sign",
        "two@@corp.cn",
        "x" * 250 + "@corp.cn",
    ],
)
def test_bad_email_address_is_refused_and_nothing_is_written(address, english):
    with pytest.raises(InvalidRecipient) as exc:
        messaging_send(channel="email", kind="messaging_test", context={}, to_address=address)
    assert str(exc.value) == "This email address is not valid."
    assert not OutboxMessage.objects.exists()


def test_missing_recipient_is_refused(db):
    with pytest.raises(InvalidRecipient):
        messaging_send(channel="email", kind="messaging_test", context={})
    user = UserFactory(email="")
    with pytest.raises(InvalidRecipient):
        messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)


def test_ten_kilobyte_body_is_refused_and_nothing_is_written(user, sms_outbox, english):
    with pytest.raises(MessageTooLarge) as exc:
        messaging_send(
            channel="email", kind="messaging_test", context={"note": "x" * 10_240}, to_user=user
        )
    assert str(exc.value) == "The email is larger than 8 kB."
    with pytest.raises(MessageTooLarge):
        messaging_send(
            channel="sms", kind="messaging_test", context={"note": "x" * 10_240}, to_user=user
        )
    assert not OutboxMessage.objects.exists()
    assert sms_outbox == []


def test_control_characters_in_context_never_reach_the_row(user, deliver_on_commit):
    with deliver_on_commit():
        message = messaging_send(
            channel="email", kind="messaging_test", context={"note": "a\x00b\x1bc"}, to_user=user
        )
    message.refresh_from_db()
    assert "\x00" not in mail.outbox[0].body
    assert "abc" in mail.outbox[0].body


def test_idempotency_key_returns_the_first_message(user, deliver_on_commit):
    with deliver_on_commit():
        first = messaging_send(
            channel="email", kind="messaging_test", context={}, to_user=user, idempotency_key="k1"
        )
        again = messaging_send(
            channel="email", kind="messaging_test", context={}, to_user=user, idempotency_key="k1"
        )
    assert again.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1


def test_default_expiry_is_a_day(user, clock):
    message = messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    assert message.expires_at == clock.now() + timedelta(hours=24)
