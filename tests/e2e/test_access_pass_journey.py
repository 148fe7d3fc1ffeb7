"""The temporary access pass in Chromium: a locked employee files a request from the lock page;
an agent signs in to the admin, verifies the caller with a code sent by SMS and read back, and
issues a pass shown once to read out; the employee chooses "I have a temporary pass" on the lock
page, signs in with it while still locked, is held to the enrolment page, registers a passkey
(the DevTools protocol's virtual authenticator) or sets a new password, lands where the sign-in
was going, the request is resolved; the pass does not work a second time."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from access_pass.models import AccessPass, PassState
from signin.models import Lock
from tests.e2e.browser import admin_sign_in
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.tickets.conftest import make_agent
from tickets.models import Resolution, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "海棠花开 the long phrase 2026"


def _submit(page, selector: str = "main form button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(selector).first.click()


def _zh(text: str) -> str:
    with translation.override("zh-hans"):
        translated = translation.gettext(text)
    assert translated != text, f"not translated: {text}"
    return translated


def _locked_employee_files_a_request(page):
    employee = UserFactory(username="li.na", first_name="娜", last_name="李", language="zh-hans")
    page.goto("/accounts/login/")
    for n in range(5):
        page.fill("input[name=username]", "li.na")
        page.fill("input[name=password]", f"wrong guess {n}")
        _submit(page)
    lock = Lock.objects.get(user=employee, ended_at__isnull=True)
    _submit(page, "main a[href^='/tickets/unlock/']")
    page.locator("input[name=problem_since]").first.check()
    _submit(page, "main form.form button[type=submit]")
    return employee, lock


def _agent_verifies_and_issues(new_context, tasks, shots, employee) -> str:
    agent = make_agent("agent.zhou")
    ticket = Ticket.objects.get()
    desk = new_context(locale="zh-CN").new_page()
    admin_sign_in(desk, agent, password=DEFAULT_PASSWORD)
    desk.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    # No pass before the caller is verified.
    assert desk.locator("form[action$='/pass_issue/']").count() == 0
    _submit(desk, "form[action$='/verify_send/'] button[value=sms]")
    desk.fill("input[name=code]", tasks.code(to=str(employee.phone), kind="verification_code"))
    _submit(desk, "form[action$='/verify_check/'] button[type=submit]")
    _submit(desk, "form[action$='/pass_issue/'] button[value=shown]")
    secret = desk.locator("[data-testid=access-pass]").inner_text().strip()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}(-[2-9A-HJKMNP-Z]{4}){2}", secret)
    shots.take(desk, "access-pass-shown")
    # Back on the request the pass is not shown again.
    desk.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert secret not in desk.content()
    return secret


def _signs_in_with_the_pass(page, secret: str, shots) -> None:
    # Still locked: one more try with the password shows the lock page and its ways out.
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "li.na")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    _submit(page)
    assert page.locator("main a[href^='/accounts/pass/']").count() == 1
    assert _zh("I have a temporary pass from the helpdesk") in page.content()
    _submit(page, "main a[href^='/accounts/pass/']")
    assert page.input_value("input[name=username]") == "li.na"  # prefilled from the lock page
    page.fill("input[name=access_pass]", secret.lower().replace("-", " "))  # as heard
    shots.take(page, "access-pass-signin")
    _submit(page)
    page.wait_for_url(re.compile(r"/accounts/pass/enrol/$"))
    assert page.locator("h1").inner_text() == _zh("One more step: set up how you sign in")
    # Held: any other page comes back to the choice.
    page.goto("/account/")
    page.wait_for_url(re.compile(r"/accounts/pass/enrol/$"))
    shots.take(page, "access-pass-enrol")


def _the_pass_is_spent(new_context, secret: str) -> None:
    other = new_context(locale="zh-CN").new_page()
    other.goto("/accounts/pass/?username=li.na")
    other.fill("input[name=access_pass]", secret)
    _submit(other)
    assert re.search(r"/accounts/pass/$", other.url)
    assert other.locator(".errorlist").count() > 0
    assert AccessPass.objects.get().state == PassState.USED


def test_a_temporary_pass_then_a_new_password(new_context, tasks, shots):
    page = new_context(locale="zh-CN").new_page()
    employee, lock = _locked_employee_files_a_request(page)
    secret = _agent_verifies_and_issues(new_context, tasks, shots, employee)
    _signs_in_with_the_pass(page, secret, shots)
    _submit(page, "main a[href='/accounts/pass/password/']")
    page.fill("input[name=new_password1]", NEW_PASSWORD)
    page.fill("input[name=new_password2]", NEW_PASSWORD)
    _submit(page)
    page.wait_for_url(re.compile(r"/account/$"))  # free now
    employee.refresh_from_db()
    lock.refresh_from_db()
    assert employee.check_password(NEW_PASSWORD) and lock.ended_at is not None
    ticket = Ticket.objects.get()
    assert ticket.status == "resolved"
    _the_pass_is_spent(new_context, secret)


def test_a_temporary_pass_then_a_passkey(new_context, tasks, shots, settings, live_server):
    from django_otp_webauthn.models import WebAuthnCredential

    # The live server is http://localhost:<port>: the relying party follows it, as
    # portal/settings.py derives it from PORTAL_BASE_URL.
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    page = new_context(locale="zh-CN").new_page()
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    authenticator = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )["authenticatorId"]
    employee, lock = _locked_employee_files_a_request(page)
    secret = _agent_verifies_and_issues(new_context, tasks, shots, employee)
    _signs_in_with_the_pass(page, secret, shots)
    _submit(page, "main a[href^='/account/passkeys/add/']")
    page.fill("input[name=name]", "我的手机")
    page.locator("[data-passkey=register] [data-passkey-start]").click()
    page.wait_for_url(re.compile(r"/account/$"))  # registered: the hold ends, the journey goes on
    assert WebAuthnCredential.objects.filter(user=employee, confirmed=True).count() == 1
    (held,) = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})["credentials"]
    assert held["isResidentCredential"]
    assert AccessPass.objects.get().completed_how == "passkey"
    ticket = Ticket.objects.get()
    assert ticket.status == "resolved" and ticket.resolution == Resolution.ACCESS_PASS
    lock.refresh_from_db()
    assert lock.ended_at is None  # the password's lock runs its course; the passkey needs none
    shots.take(page, "access-pass-done")
    _the_pass_is_spent(new_context, secret)
