"""The agents' desk in Chromium on a 390×844 phone and a desktop, in both languages: nothing
wider than the screen, every number a tap target of at least 44 px, and tapping a number opens
the list it counted. Screenshots ``admin-desk.<language>.<phone|desktop>.png``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from tests.e2e.browser import admin_sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.tickets.conftest import make_agent
from tests.tickets.factories import TicketFactory
from tickets.models import TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _requests(agent) -> None:
    now = timezone.now()
    for i in range(7):
        TicketFactory(
            user=UserFactory(),
            status=[TicketStatus.NEW, TicketStatus.IN_PROGRESS][i % 2],
            assignee=agent if i % 2 else None,
            due_at=now - timedelta(minutes=5) if i < 3 else now + timedelta(hours=3),
        )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_desk_on_a_phone_and_a_desktop(new_context, live_server, shots, language):
    agent = make_agent(f"agent.desk.{language.replace('-', '')}")
    _requests(agent)
    context = new_context(locale="zh-CN" if language == "zh-hans" else "en-US", phone=True)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page = context.new_page()
    admin_sign_in(page, agent, password=DEFAULT_PASSWORD)
    assert page.locator("html").get_attribute("lang") == language
    for width, height in [(390, 844), (1280, 900)]:
        page.set_viewport_size({"width": width, "height": height})
        page.goto("/admin/")
        assert page.locator("#desk").is_visible()
        overflow = page.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"the desk is {overflow}px wider than a {width}px screen"
        figures = page.locator("#desk a.desk-figure")
        assert figures.count() == 11
        for i in range(figures.count()):
            box = figures.nth(i).bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.locator("#desk-breaching .desk-count").inner_text() == "3"
        assert page.locator("#desk-mine .desk-count").inner_text() == "3"
        assert page.locator("#content-main").is_visible()  # the model list below the desk
        shots.take(page, "admin-desk")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/admin/")
    with page.expect_navigation():
        page.locator("#desk-breaching").tap()
    assert "sla=breached" in page.url
    assert page.locator("#result_list tbody tr").count() == 3
