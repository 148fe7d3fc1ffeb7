"""System checks for the SMS configuration."""

from __future__ import annotations

from messaging.checks import sms_backend_check, sms_backend_deploy_check


def _ids(messages):
    return [m.id for m in messages]


def test_default_backends_pass(settings):
    settings.SMS_BACKEND = "locmem"
    assert sms_backend_check(None) == []


def test_unknown_backend_is_an_error(settings):
    settings.SMS_BACKEND = "carrier-pigeon"
    assert _ids(sms_backend_check(None)) == ["messaging.E001"]


def test_provider_without_credentials_is_an_error(settings):
    settings.SMS_BACKEND = "twilio"
    settings.SMS_TWILIO_ACCOUNT_SID = ""
    errors = sms_backend_check(None)
    assert _ids(errors) == ["messaging.E002"]
    assert "SMS_TWILIO_ACCOUNT_SID" in errors[0].msg


def test_aliyun_without_templates_is_a_warning(settings):
    settings.SMS_BACKEND = "aliyun"
    settings.SMS_ALIYUN_ACCESS_KEY_ID = "id"
    settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "secret"
    settings.SMS_ALIYUN_SIGN_NAME = "sign"
    settings.SMS_ALIYUN_TEMPLATES = {}
    settings.SMS_ALIYUN_DEFAULT_TEMPLATE = ""
    assert _ids(sms_backend_check(None)) == ["messaging.W002"]


def test_deploy_check_mentions_a_development_backend(settings):
    settings.SMS_BACKEND = "console"
    assert _ids(sms_backend_deploy_check(None)) == ["messaging.I001"]
    settings.SMS_BACKEND = "webhook"
    assert sms_backend_deploy_check(None) == []


def test_messaging_test_command_queues_and_refuses_bad_input(
    db, django_capture_on_commit_callbacks
):
    from io import StringIO

    import pytest
    from django.core import mail
    from django.core.management import CommandError, call_command

    from messaging import sms

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("messaging_test", email="ops@corp.cn", sms="13800001111", stdout=out)
    assert "queued email" in out.getvalue() and "138****1111" in out.getvalue()
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    with pytest.raises(CommandError):
        call_command("messaging_test", sms="not a phone")


def test_messaging_sweep_command(db, clock, django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core import mail
    from django.core.management import call_command

    from messaging.services import messaging_send

    messaging_send(channel="email", kind="messaging_test", context={}, to_address="a@corp.cn")
    clock.advance(seconds=90)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("messaging_sweep", stdout=out)
    assert "requeued=1" in out.getvalue()
    assert len(mail.outbox) == 1


def test_every_shipped_kind_has_a_priority_class():
    from messaging.checks import messaging_priorities_check

    assert messaging_priorities_check(None) == []


def test_a_kind_without_a_priority_class_is_a_warning(settings, tmp_path):
    from messaging.checks import messaging_priorities_check

    (tmp_path / "messages" / "brand_new").mkdir(parents=True)
    (tmp_path / "messages" / "brand_new" / "sms.txt").write_text("hi")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    warnings = messaging_priorities_check(None)
    assert _ids(warnings) == ["messaging.W003"]
    assert "'brand_new'" in warnings[0].msg
    settings.MESSAGING_KIND_PRIORITIES = {"brand_new": "security"}
    assert messaging_priorities_check(None) == []


def test_shares_out_of_order_are_errors(settings):
    from messaging.checks import messaging_priorities_check

    settings.SMS_SHARE_COURTESY_PERCENT = 90
    settings.SMS_SHARE_SECURITY_PERCENT = 80
    settings.MESSAGING_COURTESY_PER_ACCOUNT_HOUR = 20
    settings.MESSAGING_KIND_PRIORITIES = {"x": "urgent"}
    assert _ids(messaging_priorities_check(None)) == [
        "messaging.E003",
        "messaging.E004",
        "messaging.E005",
    ]
