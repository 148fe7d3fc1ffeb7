"""The agents' desk on the admin's home page: each number is the count of the list its link opens
(followed here in the test client), the page stays within its query budget at any size, agents
see only the sections they may view, the model list stays below, and it speaks both languages."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from messaging.models import OutboxMessage
from notices.models import Notice
from signin.models import Lock, Scope
from tests.factories import StaffFactory, UserFactory
from tests.tickets.conftest import admin_client_for, lock_account, make_agent
from tests.tickets.factories import TicketFactory
from tickets.models import Ticket, TicketStatus

HOME = "/admin/"
FIGURE = re.compile(
    r'<a class="desk-figure[^"]*" id="desk-(?P<key>\w+)" href="(?P<url>[^"]+)">'
    r'<span class="desk-count">(?P<count>\d+)</span>'
)
S = TicketStatus


def figures(response) -> dict[str, tuple[int, str]]:
    page = response.content.decode()
    return {
        m["key"]: (int(m["count"]), m["url"].replace("&amp;", "&")) for m in FIGURE.finditer(page)
    }


def listed(client, url: str) -> int:
    """How many rows the changelist at ``url`` says it holds (and shows, on its first page)."""
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK, url
    changelist = response.context["cl"]
    assert len(changelist.result_list) == min(changelist.result_count, changelist.list_per_page)
    return changelist.result_count


def _tickets(n: int, *, agent, users) -> None:
    now = timezone.now()
    statuses = [S.NEW, S.IN_PROGRESS, S.WAITING, S.APPROVAL, S.RESOLVED, S.REJECTED]
    rows = []
    for i in range(n):
        user = users[i % len(users)]
        created = now - timedelta(minutes=5 * i)
        status = statuses[i % len(statuses)]
        open_ = status not in (S.RESOLVED, S.REJECTED, S.WAITING)
        rows.append(
            TicketFactory.build(
                user=user,
                username=user.username,
                reference=f"UNL-2026-{i + 1:06d}",
                created_at=created,
                status=status,
                assignee=agent if i % 4 == 1 else None,
                # every third open request is late, the others due later
                due_at=(now - timedelta(minutes=1) if i % 3 == 0 else now + timedelta(hours=2))
                if open_
                else None,
            )
        )
    Ticket.objects.bulk_create(rows, batch_size=500)


def _locks(n: int) -> None:
    now = timezone.now()
    scopes = [Scope.ACCOUNT, Scope.BROWSER, Scope.IP]
    rows = []
    for i in range(n):
        started = now - timedelta(minutes=7 * i)
        ended = now - timedelta(minutes=1) if i % 5 == 0 else None
        rows.append(
            Lock(
                reference=f"Q{i:07d}",
                scope=scopes[i % 3],
                key=f"bulk{i}",
                username=f"bulk{i}",
                locked_at=started,
                locked_until=started + timedelta(minutes=30),
                minutes=30,
                failures=5,
                ended_at=ended,
                ended_how="manual" if ended else "",
            )
        )
    Lock.objects.bulk_create(rows, batch_size=500)


def _outbox(n: int) -> None:
    now = timezone.now()
    Status = OutboxMessage.Status
    states = [
        (Status.FAILED, 3, timedelta(hours=1)),
        (Status.FAILED, 3, timedelta(days=2)),  # failed long ago: not today's work
        (Status.QUEUED, 1, timedelta(minutes=2)),  # retrying
        (Status.QUEUED, 0, timedelta(minutes=1)),  # first try pending
        (Status.SENT, 1, timedelta(minutes=3)),
    ]
    rows = []
    for i in range(n):
        status, attempts, ago = states[i % len(states)]
        rows.append(
            OutboxMessage(
                channel="email",
                kind="signin_locked",
                recipient=f"person{i}@corp.example.cn",
                language="en",
                status=status,
                attempts=attempts,
                created_at=now - ago,
                updated_at=now - ago,
                next_attempt_at=now,
            )
        )
    OutboxMessage.objects.bulk_create(rows, batch_size=500)


def _notices() -> None:
    now = timezone.now()
    for title, start, end, published in [
        ("now", now - timedelta(hours=1), now + timedelta(hours=1), True),
        ("later", now + timedelta(hours=3), now + timedelta(hours=4), True),
        ("over", now - timedelta(hours=3), now - timedelta(hours=2), True),
        ("draft", now - timedelta(hours=1), now + timedelta(hours=1), False),
    ]:
        Notice.objects.create(
            title_zh=title, title_en=title, starts_at=start, ends_at=end, published=published
        )


@pytest.fixture
def world(db, agent, clock, settings, django_capture_on_commit_callbacks):
    """Requests, locks (real ones and a storm among them), messages and notices."""
    settings.SIGNIN_LOCK_STORM_ACCOUNTS = 3
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):  # four accounts from one /24: one storm (the third lock)
            lock_account(UserFactory(username=f"sprayed{n}").username, ip=f"198.51.100.{n + 1}")
    clock.advance(minutes=90)
    with django_capture_on_commit_callbacks(execute=True):
        lock_account(UserFactory(username="recent.one").username, ip="10.7.7.7")
    _notices()
    return agent


@pytest.mark.parametrize("size", [12, 1200])
def test_each_number_is_what_its_list_shows_within_the_budget(
    world, agent_client, size, django_assert_max_num_queries
):
    users = [UserFactory() for _ in range(4)]
    _tickets(size, agent=world, users=users)
    _locks(size)
    _outbox(size)
    agent_client.get(HOME)  # warm the notice banner's cache
    # session, user, OTP device, the agent's permissions (2), the desk's one statement and
    # Django's recent-actions box: 7, whatever the number of rows
    with django_assert_max_num_queries(8) as captured:
        response = agent_client.get(HOME)
    assert response.status_code == HTTPStatus.OK
    print(f"admin home at size {size}: {len(captured)} queries")
    shown = figures(response)
    assert set(shown) == {
        "open",
        "waiting",
        "approval",
        "breaching",
        "mine",
        "locked_now",
        "locked_hour",
        "storms",
        "failed",
        "retrying",
        "notices",
    }
    for key, (count, url) in shown.items():
        assert listed(agent_client, url) == count, key
    # and the numbers are the world's, not zeros that agree with empty lists
    assert shown["storms"][0] == 1
    assert shown["notices"][0] == 1
    assert shown["locked_hour"][0] == 1 + len([i for i in range(size) if i % 3 != 2 and 7 * i < 60])
    assert 0 < shown["mine"][0] < shown["open"][0]
    assert shown["approval"][0] == len(range(3, size, 6))
    assert 0 < shown["breaching"][0] < shown["open"][0]
    assert shown["failed"][0] == len(range(0, size, 5))


def test_agents_see_only_what_they_may_and_the_models_stay(db, clock):
    from django.contrib.auth.models import Permission

    clerk = StaffFactory(username="clerk.zhao")
    clerk.user_permissions.add(
        Permission.objects.get(codename="view_ticket", content_type__app_label="tickets")
    )
    response = admin_client_for(type(clerk).objects.get(pk=clerk.pk)).get(HOME)
    assert set(figures(response)) == {"open", "waiting", "approval", "breaching", "mine"}
    page = response.content.decode()
    assert "Everything in the admin" in page
    assert 'href="/admin/tickets/ticket/"' in page  # the model list below the desk
    assert "/admin/signin/lock/" not in page


def test_an_admin_without_agent_sections_gets_the_plain_index(db):
    nobody = StaffFactory(username="intern.qian")
    response = admin_client_for(nobody).get(HOME)
    assert response.status_code == HTTPStatus.OK
    assert figures(response) == {}
    assert 'id="desk"' not in response.content.decode()


def test_the_desk_speaks_chinese(db, clock):
    agent = make_agent("agent.sun")
    client = admin_client_for(agent)
    response = client.get(HOME, HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = response.content.decode()
    assert "今天的工作" in page
    for words in ["解锁申请", "待处理", "违反服务时限", "分配给我", "当前锁定的账户", "维护"]:
        assert words in page, words
    assert "Unlock requests" not in page and "Today's work" not in page
