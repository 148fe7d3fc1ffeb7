"""The demo inbox at /dev/inbox/: debug only."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest

from messaging.services import messaging_send

pytestmark = pytest.mark.django_db


def test_absent_when_debug_is_off(client, settings):
    assert settings.DEBUG is False
    assert client.get("/dev/inbox/").status_code == HTTPStatus.NOT_FOUND


def test_view_refuses_even_if_mounted_without_debug(client, settings):
    settings.ROOT_URLCONF = "tests.messaging.urls_debug"
    assert client.get("/dev/inbox/").status_code == HTTPStatus.NOT_FOUND


def test_lists_messages_with_codes_while_they_exist(
    client, settings, user, clock, deliver_on_commit
):
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.messaging.urls_debug"
    with deliver_on_commit():
        messaging_send(
            channel="sms",
            kind="messaging_test",
            context={"note": "CODE 246810"},
            to_user=user,
            secret=True,
            expires_at=clock.now() + timedelta(minutes=10),
        )
        messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    response = client.get("/dev/inbox/")
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "CODE 246810" in body
    assert user.email in body
    assert client.get("/dev/inbox/?channel=email").content.decode().count("CODE 246810") == 0
    clock.advance(minutes=11)
    assert "CODE 246810" not in client.get("/dev/inbox/").content.decode()
    assert client.post("/dev/inbox/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("junk", ["x" * 10_240, "sms\x1b", "%ff%fe", "<script>"])
def test_junk_query_parameters_are_ignored_not_a_500(client, settings, junk):
    settings.DEBUG = True
    settings.ROOT_URLCONF = "tests.messaging.urls_debug"
    response = client.get("/dev/inbox/", {"channel": junk})
    assert response.status_code == HTTPStatus.OK
