"""What reaches the groups: the helpdesk robot hears of new unlock requests and SLA breaches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from messaging.messengers.robots import robot_save
from messaging.models import OutboxMessage, Robot
from tests.factories import UserFactory
from tests.tickets.conftest import file_request
from tickets.models import Ticket
from tickets.robots import robots_sla_sweep

pytestmark = pytest.mark.django_db
KEY = "helpdesk-robot-key"


@pytest.fixture
def helpdesk(wecom_api):
    wecom_api.robot_keys.add(KEY)
    robot = Robot(
        name="helpdesk", kind="wecom", events=["robot_unlock_request", "robot_sla_breach"]
    )
    robot_save(robot=robot, webhook=f"{wecom_api.url}/cgi-bin/webhook/send?key={KEY}")
    return wecom_api


def test_a_new_unlock_request_reaches_the_helpdesk_robot(
    helpdesk, client, django_capture_on_commit_callbacks, clock
):
    UserFactory(username="zhang.wei", email="zhang.wei@corp.example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        file_request(client)
    ticket = Ticket.objects.get()
    [text] = helpdesk.texts_to(KEY)
    assert ticket.reference in text and "zhang.wei" in text
    assert f"/admin/tickets/ticket/{ticket.pk}/change/" in text
    assert "corp.example.cn" not in text  # no contact, no description: the username only
    assert "typed my password" not in text


def test_an_unknown_name_reaches_it_the_same_way(
    helpdesk, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        file_request(client, username="no.such.person")
    assert len(helpdesk.texts_to(KEY)) == 1


def test_an_sla_breach_is_announced_once_per_deadline(
    helpdesk, client, django_capture_on_commit_callbacks, clock
):
    with django_capture_on_commit_callbacks(execute=True):
        file_request(client)
    ticket = Ticket.objects.get()
    clock.set(ticket.due_at + timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert robots_sla_sweep() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert robots_sla_sweep() == 0
    texts = helpdesk.texts_to(KEY)
    assert len(texts) == 2 and "SLA" in texts[1] and ticket.reference in texts[1]
    assert OutboxMessage.objects.filter(kind="robot_sla_breach", status="sent").count() == 1
