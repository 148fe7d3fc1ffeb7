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


# --- maintenance notices to the all-staff group ---------------------------------------------------
STAFF_KEY = "all-staff-robot-key"


@pytest.fixture
def all_staff(wecom_api):
    wecom_api.robot_keys.add(STAFF_KEY)
    robot = Robot(
        name="all staff",
        kind="wecom",
        language="zh-hans",
        events=[
            "robot_notice_published",
            "robot_notice_started",
            "robot_notice_changed",
            "robot_notice_ended",
        ],
    )
    robot_save(robot=robot, webhook=f"{wecom_api.url}/cgi-bin/webhook/send?key={STAFF_KEY}")
    return wecom_api


def _sweep(capture) -> int:
    from notices.robots import notices_robots_sweep

    with capture(execute=True):
        return notices_robots_sweep()


def test_a_notice_is_announced_published_started_changed_and_ended_once_each(
    all_staff, clock, django_capture_on_commit_callbacks
):
    from notices.services import notice_end_now, notice_save
    from tests.notices.factories import NoticeFactory

    capture = django_capture_on_commit_callbacks
    notice = NoticeFactory(
        title_zh="CRM 升级",
        title_en="CRM upgrade",
        starts_at=clock.now() + timedelta(hours=2),
        ends_at=clock.now() + timedelta(hours=4),
    )
    assert _sweep(capture) == 1
    assert _sweep(capture) == 0  # nothing new
    clock.advance(hours=2, minutes=1)
    assert _sweep(capture) == 1  # started
    notice.ends_at = notice.ends_at + timedelta(minutes=30)
    notice_save(notice=notice, actor=None)
    assert _sweep(capture) == 1  # the recovery time changed
    assert _sweep(capture) == 0
    clock.advance(minutes=10)
    notice_end_now(notice=notice, actor=None)
    clock.advance(seconds=1)
    assert _sweep(capture) == 1  # ended (not "changed")
    assert _sweep(capture) == 0
    texts = all_staff.texts_to(STAFF_KEY)
    assert len(texts) == 4
    assert all("CRM 升级" in t for t in texts)
    assert "计划维护" in texts[0] and "已结束" in texts[3]
    assert "原为" in texts[2] and "恢复" in texts[2]


def test_an_english_robot_reads_the_english_title(
    wecom_api, clock, django_capture_on_commit_callbacks
):
    from tests.notices.factories import NoticeFactory

    wecom_api.robot_keys.add("en-key")
    robot = Robot(name="en", kind="wecom", language="en", events=["robot_notice_published"])
    robot_save(robot=robot, webhook=f"{wecom_api.url}/cgi-bin/webhook/send?key=en-key")
    NoticeFactory(
        title_zh="CRM 升级", title_en="CRM upgrade", starts_at=clock.now() + timedelta(hours=1)
    )
    _sweep(django_capture_on_commit_callbacks)
    [text] = wecom_api.texts_to("en-key")
    assert "CRM upgrade" in text and "Planned maintenance" in text


# --- a lock storm to the security group -----------------------------------------------------------
def test_a_lock_storm_from_one_network_reaches_the_security_robot_once(
    wecom_api, settings, client, django_capture_on_commit_callbacks
):
    settings.SIGNIN_LOCK_STORM_ACCOUNTS = 3
    wecom_api.robot_keys.add("security-key")
    robot = Robot(name="security", kind="wecom", language="en", events=["robot_lock_storm"])
    robot_save(robot=robot, webhook=f"{wecom_api.url}/cgi-bin/webhook/send?key=security-key")
    for n in range(4):
        UserFactory(username=f"target{n}")
        for attempt in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                client.post(
                    "/accounts/login/",
                    {"username": f"target{n}", "password": f"wrong {attempt}"},
                    REMOTE_ADDR=f"203.0.113.{10 + n}",
                )
    [text] = wecom_api.texts_to("security-key")  # the third lock, not the fourth
    assert "203.0.113.0/24" in text and "3 accounts" in text
    assert "target" not in text  # no account named
