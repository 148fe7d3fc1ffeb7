"""The development SMS backends: file (one JSON line per message) and console."""

from __future__ import annotations

import io
import json

import pytest

from messaging.models import OutboxMessage
from messaging.services import messaging_send
from messaging.sms import SmsMessage, get_backend

pytestmark = pytest.mark.django_db


def test_file_backend_appends_one_json_line_per_message(
    settings, tmp_path, user, deliver_on_commit
):
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "var" / "sms.jsonl")
    with deliver_on_commit():
        first = messaging_send(channel="sms", kind="messaging_test", context={}, to_user=user)
        messaging_send(channel="sms", kind="messaging_test", context={"note": "二"}, to_user=user)
    lines = (tmp_path / "var" / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    record = json.loads(lines[0])
    assert record["reference"] == str(first.reference)
    assert record["to"] == user.phone.as_e164
    assert "二" in json.loads(lines[1])["body"]
    first.refresh_from_db()
    assert first.status == OutboxMessage.Status.SENT


def test_file_backend_unwritable_path_is_transient(settings, tmp_path, user, deliver_on_commit):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(blocker / "sms.jsonl")
    with deliver_on_commit():
        message = messaging_send(channel="sms", kind="messaging_test", context={}, to_user=user)
    message.refresh_from_db()
    assert message.status == OutboxMessage.Status.QUEUED
    assert "cannot write" in message.last_error


def test_console_backend_prints_the_message():
    stream = io.StringIO()
    provider_id = get_backend("console", stream=stream).send(
        SmsMessage(to="+8613800000000", body="hello", kind="k", reference="r1")
    )
    assert provider_id == "console-r1"
    assert "SMS to +8613800000000 (k)" in stream.getvalue()
    assert "hello" in stream.getvalue()
