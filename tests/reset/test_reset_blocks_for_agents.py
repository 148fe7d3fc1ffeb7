"""A reset paused after 20 wrong codes is visible to agents in the admin, who can lift it."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import HELPDESK_AGENTS
from accounts.services import roles_sync
from audit.models import AuditEvent
from messaging.models import OutboxMessage
from reset.models import ResetBlock
from tests.factories import StaffFactory, otp_force_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(db):
    roles_sync()
    agent = StaffFactory(username="agent.one")
    agent.groups.add(Group.objects.get(name=HELPDESK_AGENTS))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    otp_force_login(client, agent)
    return client


def _pause(make_browser, clock, identifier="zhang.wei"):
    for _round in range(4):
        browser = make_browser()
        browser.start(identifier)
        for _ in range(5):
            browser.code("000000")
        clock.advance(minutes=13)


def test_agents_see_and_lift_a_pause(user, agent_client, make_browser, clock):
    _pause(make_browser, clock)
    assert ResetBlock.objects.filter(user=user).count() == 2  # what was typed, and the account
    assert OutboxMessage.objects.filter(kind="reset_blocked", channel="email").count() == 1
    assert AuditEvent.objects.filter(event="reset.blocked", user=user).exists()
    page = agent_client.get("/admin/reset/resetblock/?state=active")
    assert page.status_code == HTTPStatus.OK
    assert "zhang.wei" in page.content.decode()
    paused = make_browser().start("zhang.wei")
    assert paused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    block = ResetBlock.objects.filter(key__startswith="account:").get()
    response = agent_client.post(
        "/admin/reset/resetblock/",
        {"action": "lift", "_selected_action": [block.pk]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert not ResetBlock.objects.filter(user=user, lifted_at__isnull=True).exists()
    assert make_browser().start("zhang.wei").status_code == HTTPStatus.FOUND
    assert AuditEvent.objects.filter(event="reset.block_lifted").exists()


def test_agents_cannot_add_or_delete_blocks_nor_see_reset_keys(agent_client, user, browser):
    browser.start("zhang.wei")
    assert agent_client.get("/admin/reset/resetblock/add/").status_code == (HTTPStatus.FORBIDDEN)
    page = agent_client.get("/admin/reset/resetflow/")
    assert page.status_code == HTTPStatus.OK
    from reset.models import ResetFlow

    flow = ResetFlow.objects.get()
    detail = agent_client.get(f"/admin/reset/resetflow/{flow.pk}/change/").content.decode()
    assert flow.key_hash not in detail and flow.identifier_key not in detail
