"""Journey 2 in Chromium: the locked employee files an unlock request from the lock page (the
form already holds the username and the lock's reference); a helpdesk agent signs in to the admin
with a password and an authenticator code, sends the caller a code by SMS, types the code the
caller reads back, and unlocks; the employee's private status page says the request is resolved,
and the employee signs in with the password they had."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.utils import translation

from signin.models import Lock
from tests.e2e.browser import admin_sign_in, untranslated
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.tickets.conftest import make_agent
from tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SUBMIT = "main form button[type=submit]"
EMPLOYEE = ("li.na",)


def _submit(page, selector: str = SUBMIT) -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def _sign_in(page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    _submit(page)


def _in_language(page, live_server, language: str) -> None:
    """The language cookie the header's switch sets, then the page again."""
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    page.reload()


def test_helpdesk_verifies_the_caller_and_unlocks(new_context, tasks, shots, live_server):
    employee = UserFactory(username="li.na", first_name="娜", last_name="李", language="zh-hans")
    agent = make_agent("agent.zhou")
    agent.first_name, agent.last_name = "敏", "周"
    agent.save(update_fields=["first_name", "last_name"])

    # The employee locks the account and asks the helpdesk, from the lock page.
    page = new_context(locale="zh-CN").new_page()
    page.goto("/accounts/login/")
    for n in range(5):
        _sign_in(page, "li.na", f"wrong guess {n}")
    lock = Lock.objects.get(user=employee, ended_at__isnull=True)
    _submit(page, "main a[href^='/tickets/unlock/']")
    assert page.input_value("input[name=username]") == "li.na"  # prefilled
    assert page.input_value("input[name=lock_reference]") == lock.reference
    page.locator("input[name=problem_since]").first.check()
    shots.take(page, "unlock-request")
    assert untranslated(page, allowed=EMPLOYEE) == []
    _submit(page, "main form.form button[type=submit]")
    status_url = page.input_value("#status-link")
    ticket = Ticket.objects.get()
    assert ticket.user == employee and ticket.lock_reference == lock.reference
    shots.take(page, "unlock-request-sent")
    assert untranslated(page, allowed=EMPLOYEE) == []

    # The agent signs in to the admin with the authenticator's code.
    desk = new_context(locale="zh-CN").new_page()
    admin_sign_in(desk, agent, password=DEFAULT_PASSWORD)
    with desk.expect_navigation():
        desk.goto("/admin/tickets/ticket/")
    with desk.expect_navigation():
        desk.get_by_role("link", name=ticket.reference).first.click()
    assert desk.locator("h1").inner_text().startswith(ticket.reference)

    # Verify the caller: a code to the verified phone, read back over the phone, typed in.
    _submit(desk, "form[action$='/verify_send/'] button[value=sms]")
    code = tasks.code(to=str(employee.phone), kind="verification_code")
    desk.fill("input[name=code]", code)
    _submit(desk, "form[action$='/verify_check/'] button[type=submit]")
    ticket.refresh_from_db()
    assert ticket.is_verified
    shots.take(desk, "agent-ticket")
    _in_language(desk, live_server, "en")  # the same page for an agent who reads English
    assert desk.locator("html").get_attribute("lang") == "en"
    shots.take(desk, "agent-ticket")
    _in_language(desk, live_server, "zh-hans")
    _submit(desk, "form[action$='/unlock/'] button[type=submit]")
    ticket.refresh_from_db()
    lock.refresh_from_db()
    assert ticket.status == "resolved" and lock.ended_at is not None

    # The employee's status page says so, and the sign-in works with the old password.
    page.goto(urlsplit(status_url).path)  # the link names the production host
    with translation.override("zh-hans"):
        resolved = translation.gettext("Resolved")
    assert resolved in page.locator(".status-pill").inner_text()
    shots.take(page, "unlock-request-resolved")
    assert untranslated(page, allowed=EMPLOYEE) == []
    _submit(page, "main a[href='/accounts/login/']")
    _sign_in(page, "li.na", DEFAULT_PASSWORD)
    page.wait_for_url(re.compile(r"/account/$"))
