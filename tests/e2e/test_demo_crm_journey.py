"""The journey of issue 14 in Chromium, through the demo CRM (a relying party that talks to the
portal over real HTTP): the demo CRM sends the employee to the portal's sign-in ("Sign in to Demo
CRM"), five wrong passwords lock the account, the lock page's reset by SMS brings the employee
back into the demo CRM signed in; then a reset of the same account in another browser sends the
back-channel logout through the outbox, and the demo CRM's session ends.

The live server is threaded: the demo CRM's callback calls the portal's token, JWKS and userinfo
endpoints on the same server while it answers, and the reset's delivery task (run in-process
after commit, as in the tests) POSTs the logout token to the demo CRM on it. PostgreSQL only:
several threads of one live server share no in-memory SQLite connection safely."""

from __future__ import annotations

import re
import time

import pytest

from audit.models import AuditEvent
from messaging import sms
from tests.demo_crm.fixtures import demo_portal  # noqa: F401
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
FIRST_PASSWORD = "a long new passphrase for the crm"
SECOND_PASSWORD = "another long passphrase, other browser"


CSP_PROBLEMS: list[str] = []


def _new_page(chromium, base_url: str):
    """A browser of its own (cookies and all); CSP messages on its console are collected."""
    context = chromium.new_context(locale="en-US", base_url=base_url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and CSP_PROBLEMS.append(message.text)
        ),
    )
    return context, page


def _submit(page, selector: str = "main form button[type=submit]"):
    with page.expect_navigation():
        page.locator(selector).first.click()


def _sign_in_form(page, username: str, password: str):
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()


def _last_sms_code(phone: str) -> str:
    bodies = [m.body for m in sms.outbox if m.to == phone and m.kind == "reset_code"]
    assert bodies, [m.kind for m in sms.outbox]
    return CODE.search(bodies[-1]).group(1)


def _reset_by_sms(page, identifier: str, phone: str, password: str):
    """From the reset's first page: the SMS code, then the new password."""
    page.fill("input[name=identifier]", identifier)
    page.check("input[name=channel][value=sms]")
    _submit(page)
    page.wait_for_url(re.compile(r"/accounts/password/reset/verify/"))
    page.fill("input[name=code]", _last_sms_code(phone))
    _submit(page)
    page.wait_for_url(re.compile(r"/accounts/password/reset/new/"))
    page.fill("input[name=new_password1]", password)
    page.fill("input[name=new_password2]", password)
    _submit(page)


@pytest.mark.usefixtures("demo_portal")
def test_demo_crm_lock_sms_reset_back_in_then_a_reset_elsewhere_ends_its_session(
    chromium, live_server
):
    CSP_PROBLEMS.clear()
    user = UserFactory(username="zhao.lei", first_name="Lei", last_name="Zhao", language="en")
    phone = str(user.phone)
    crm, page = _new_page(chromium, live_server.url)
    try:
        page.goto("/demo-crm/")
        assert page.locator("[data-demo-crm=signed-out]").count() == 1
        with page.expect_navigation():
            page.get_by_role("link", name="Sign in with the Account Portal").click()
        page.wait_for_url(re.compile(r"/accounts/login/\?next="))
        assert "Sign in to Demo CRM" in page.locator("main").inner_text()

        for n in range(5):
            _sign_in_form(page, "zhao.lei", f"wrong guess {n}")
        body = page.locator("main").inner_text()
        assert re.search(r"LK-[0-9A-Z]{5}", body), body
        # The lock page's way out: reset now (the way back to the demo CRM carried along).
        with page.expect_navigation():
            page.locator("main a[href^='/accounts/password/reset/']").first.click()
        _reset_by_sms(page, "zhao.lei", phone, FIRST_PASSWORD)

        page.wait_for_url(re.compile(r"/accounts/login/"))
        assert "Sign in to Demo CRM" in page.locator("main").inner_text()
        _sign_in_form(page, "zhao.lei", FIRST_PASSWORD)
        page.wait_for_url(re.compile(r"/demo-crm/$"))
        assert page.locator("[data-demo-crm=signed-in]").inner_text() == "Signed in as Lei Zhao"
        assert "zhao.lei" in page.locator("main").inner_text()

        # Another browser resets the same account: the portal sends the demo CRM a logout token.
        other, elsewhere = _new_page(chromium, live_server.url)
        try:
            elsewhere.goto("/accounts/password/reset/")
            _reset_by_sms(elsewhere, "zhao.lei", phone, SECOND_PASSWORD)
            elsewhere.wait_for_url(re.compile(r"/accounts/login/"))
        finally:
            other.close()

        deadline = time.monotonic() + 10
        while True:
            page.reload()
            if page.locator("[data-demo-crm=signed-out]").count() == 1:
                break
            assert time.monotonic() < deadline, "the demo CRM's session did not end"
            time.sleep(0.2)
    finally:
        crm.close()
    # The logout went through the outbox and reached the demo CRM (a 2xx), audited.
    sent = AuditEvent.objects.filter(event="sso.logout_sent", user=user)
    assert [event.data["client"] for event in sent] == ["demo-crm"]
    assert CSP_PROBLEMS == []
