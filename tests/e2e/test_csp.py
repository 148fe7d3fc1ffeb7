"""The Content-Security-Policy in Chromium: the public pages, the employee's pages and the admin
(lists, change forms, the ticket page) load without a single violation, and their scripts still
work under it. One browser context for every page, to stay within the CI budget."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import SuperuserFactory, UserFactory, otp_force_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " blocked " + e.blockedURI + " at " +
    e.sourceFile + ":" + e.lineNumber);
});
window.__printed = 0;
window.print = function () { window.__printed += 1; };
"""


class Watched:
    """A page whose CSP violations, CSP console messages and script errors are collected."""

    def __init__(self, page) -> None:
        self.page = page
        self.problems: list[str] = []
        page.add_init_script(WATCH)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.problems.append(f"console: {message.text}")

    def visit(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.status < 500, path
        assert "Content-Security-Policy" in response.headers or any(
            name.lower() == "content-security-policy" for name in response.headers
        ), path
        self.page.wait_for_load_state("load")
        self.collect(path)

    def collect(self, where: str) -> None:
        for violation in self.page.evaluate("window.__csp || []"):
            self.problems.append(f"{where}: {violation}")
        self.page.evaluate("window.__csp = []")


def _admin_session(admin) -> str:
    from accounts.views.twostep import BACKUP_SESSION_KEY

    client = Client()
    otp_force_login(client, admin)
    session = client.session
    session[BACKUP_SESSION_KEY] = ["1111-2222", "3333-4444"]
    session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_every_page_works_under_the_policy_in_chromium(page, live_server):
    from playwright.sync_api import expect

    from messaging.models import OutboxMessage
    from tickets.models import Ticket

    UserFactory(username="zhang.wei", email="zhang.wei@corp.example.cn")
    watched = Watched(page)

    # Public pages, signed out.
    for path in [
        "/",
        "/accounts/login/",
        "/accounts/password/reset/",
        "/accounts/locked/",
        "/help/faq/",
        "/no/such/page/",
    ]:
        watched.visit(path)

    # The language switch (a form post and a redirect under form-action 'self').
    watched.visit("/")
    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    watched.collect("language switch")

    # The troubleshooter's browser checks run and finish.
    watched.visit("/help/")
    expect(page.locator("#check-summary")).to_have_text(re.compile(r"\S"))
    assert "check-ok" in page.locator("#check-cookies").get_attribute("class")
    watched.collect("/help/ checks")

    # The unlock form's inline script (nonce) runs: a second submit is held back.
    watched.visit("/tickets/unlock/")
    page.evaluate(
        "document.querySelector('form.form').dispatchEvent(new Event('submit', {cancelable: true}))"
    )
    assert page.locator("form.form button[type=submit]").get_attribute("data-sent") == "1"
    watched.visit("/tickets/unlock/")
    page.fill("input[name=username]", "zhang.wei")
    page.locator("input[name=problem_since]").first.check()
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()
    watched.collect("filed request")
    link = page.locator("#status-link")  # the page right after filing: the link to copy
    link.focus()
    selected = page.evaluate(
        "document.activeElement.selectionEnd - document.activeElement.selectionStart"
    )
    assert selected == len(link.input_value()) > 0
    watched.collect("status page")

    # Signed in as an admin (two-step confirmed): the employee's pages and the admin.
    admin = SuperuserFactory(username="root.admin")
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": _admin_session(admin),
                "url": live_server.url,
            }
        ]
    )
    watched.visit("/account/two-step/backup-codes/")
    page.locator("[data-print]").click()
    assert page.evaluate("window.__printed") == 1
    for path in ["/account/", "/account/contacts/", "/account/two-step/"]:
        watched.visit(path)

    ticket = Ticket.objects.get()
    message = OutboxMessage.objects.filter(secret=False).first()  # the request's receipt
    assert message is not None
    admin_pages = [
        "/admin/",
        "/admin/tickets/ticket/",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{admin.pk}/change/",
        "/admin/messaging/outboxmessage/",
        "/admin/signin/lock/",
        "/admin/audit/auditevent/",
        f"/admin/messaging/outboxmessage/{message.pk}/change/",
    ]
    for path in admin_pages:
        watched.visit(path)

    # The admin's own scripts still work: the changelist's select-all, the date shortcuts.
    watched.visit("/admin/accounts/user/")
    page.locator("#action-toggle").check()
    assert page.locator("input.action-select:checked").count() >= 1
    watched.visit("/admin/notices/notice/add/")
    page.wait_for_selector(".datetimeshortcuts")
    watched.collect("admin scripts")

    assert watched.problems == []
