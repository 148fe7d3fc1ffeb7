"""Robots in the admin: the webhook and secret are write-only and kept encrypted; "send a test
message" reaches the group."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from messaging.messengers import vault
from messaging.models import Robot
from tests.factories import SuperuserFactory, otp_force_login

pytestmark = pytest.mark.django_db
ADD = "/admin/messaging/robot/add/"
LIST = "/admin/messaging/robot/"


@pytest.fixture
def admin_client(client):
    otp_force_login(client, SuperuserFactory(username="root"))
    return client


def test_a_robot_added_in_the_admin_is_encrypted_and_its_test_message_arrives(
    admin_client, dingtalk_api, django_capture_on_commit_callbacks
):
    dingtalk_api.robots["tok123"] = "SECadmin"
    webhook = f"{dingtalk_api.url}/robot/send?access_token=tok123"
    reply = admin_client.post(
        ADD,
        {
            "name": "helpdesk",
            "kind": "dingtalk",
            "webhook": webhook,
            "secret": "SECadmin",
            "environment_name": "",
            "events": ["robot_unlock_request"],
            "language": "zh-hans",
            "enabled": "on",
        },
    )
    assert reply.status_code == HTTPStatus.FOUND, reply.content.decode()[:2000]
    robot = Robot.objects.get()
    assert (
        "tok123" not in robot.webhook_encrypted and vault.unseal(robot.webhook_encrypted) == webhook
    )
    page = admin_client.get(f"/admin/messaging/robot/{robot.pk}/change/").content.decode()
    assert "tok123" not in page and "SECadmin" not in page  # write-only
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(LIST, {"action": "send_test", "_selected_action": [robot.pk]})
    [text] = dingtalk_api.texts_to("tok123")
    assert "helpdesk" in text


def test_a_robot_needs_a_webhook_or_an_environment_name(admin_client):
    reply = admin_client.post(
        ADD, {"name": "x", "kind": "wecom", "events": [], "language": "en", "enabled": "on"}
    )
    assert reply.status_code == HTTPStatus.OK and not Robot.objects.exists()
