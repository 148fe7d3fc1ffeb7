"""Accessibility in Chromium (issue 17): axe-core (vendored, tests/e2e/assets) finds no serious
or critical violation on any public page, the employee's /account/, or the agent's queue and
ticket page, in both languages, at a desktop and a phone size; every control shows a visible
focus indicator when reached by keyboard; a field's error is tied to its field.

Each page is checked where a person meets it (a lock made by wrong passwords, a reset code from
the outbox, a request filed through the form). axe's results go to var/axe/ (one JSON per page,
language and size). One browser for the module; a context per language and role."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.e2e.axe import axe_sizes
from tests.factories import DEFAULT_PASSWORD, UserFactory, otp_force_login
from tests.notices.factories import NoticeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGES = ["zh-hans", "en"]
LOCALES = {"zh-hans": "zh-CN", "en": "en-US"}
PASSWORD = "a long new passphrase for spring"
CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")


def _context(chromium, live_server, language: str):
    context = chromium.new_context(
        locale=LOCALES[language], base_url=live_server.url, viewport={"width": 1280, "height": 900}
    )
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    context.set_default_timeout(10_000)
    return context


def _signed_in(context, live_server, user, *, two_step: bool = False) -> None:
    client = Client()
    if two_step:
        otp_force_login(client, user)
    else:
        client.force_login(user)
    value = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": value, "url": live_server.url}]
    )


def _submit(page, selector: str = "main form button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(selector).last.click()


def _login(page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    _submit(page, "main form button[type=submit]")


FOCUS_CHECK = """() => {
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]),' +
    ' select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
  const name = el => el.outerHTML.slice(0, 120);
  const look = el => {
    const s = getComputedStyle(el);
    return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join(" ");
  };
  const controls = [...document.querySelectorAll(selector)].filter(el => el.tabIndex >= 0
    && el.getClientRects().length && getComputedStyle(el).visibility !== "hidden"
    && !el.closest("[aria-hidden=true], [inert]"));
  const problems = [];
  for (const el of controls) {
    if (document.activeElement) document.activeElement.blur();
    const before = look(el);
    el.focus({preventScroll: true});
    if (document.activeElement !== el) {
      problems.push("cannot take focus: " + name(el));
      continue;
    }
    const s = getComputedStyle(el);
    const ring = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2)
      || s.boxShadow !== "none";
    if (!el.matches(":focus-visible") || !ring || look(el) === before)
      problems.push("no visible focus: " + name(el));
  }
  if (document.activeElement) document.activeElement.blur();
  return {controls: controls.length, problems};
}"""

# A field in error is aria-invalid and described by its error; a field's error list is tied to a
# field (non-field errors are alerts of the whole form).
ERRORS_CHECK = """() => {
  const problems = [];
  const invalid = [...document.querySelectorAll("[aria-invalid=true]")];
  for (const el of invalid) {
    const group = el.closest("fieldset[aria-describedby]");
    const ids = ((el.getAttribute("aria-describedby") || "") + " " +
      (group ? group.getAttribute("aria-describedby") : "")).split(/\\s+/).filter(Boolean);
    const errors = ids.map(id => document.getElementById(id))
      .filter(e => e && e.matches(".errorlist") && e.textContent.trim());
    if (!errors.length) problems.push("not described by its error: " + (el.name || el.id));
  }
  for (const list of document.querySelectorAll(".errorlist")) {
    if (list.matches(".nonfield, [role=alert], [role=alert] *")) continue;
    if (!list.id || !document.querySelector('[aria-describedby~="' + list.id + '"]'))
      problems.push("an error tied to no field: " + list.textContent.trim().slice(0, 80));
  }
  return {invalid: invalid.length, problems};
}"""


class Audit:
    """On each page state: axe at both sizes, the focus ring of every control, the errors tied
    to their fields. Remembers what fails."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.found: dict[str, list] = {}
        self.pages = 0
        self.controls = 0

    def check(self, page, name: str, *, field_errors: bool = False) -> None:
        page.wait_for_load_state("load")
        self.pages += 1
        where = f"{self.language} {name}"
        self.found |= axe_sizes(page, name=where)
        page.keyboard.press("Shift+Tab")  # a keyboard user: focus rings are shown from now on
        focus = page.evaluate(FOCUS_CHECK)
        self.controls += focus["controls"]
        if focus["problems"]:
            self.found[f"{where}: focus"] = focus["problems"]
        errors = page.evaluate(ERRORS_CHECK)
        if errors["problems"] or (field_errors and not errors["invalid"]):
            self.found[f"{where}: errors"] = errors


def _public_pages(page, audit: Audit, *, username: str, email: str) -> None:
    from notices.models import Severity

    NoticeFactory(title_en="New help pages", title_zh="新的帮助页面", severity=Severity.INFO)
    for path, name in [
        ("/", "home"),
        ("/accounts/login/", "login"),
        ("/help/", "troubleshooter"),
        ("/help/faq/", "faq"),
        ("/help/cookies/", "cookie test"),
        ("/accounts/password/reset/", "reset start"),
        ("/tickets/unlock/", "unlock request"),
        ("/accounts/pass/", "temporary pass sign-in"),
        ("/no/such/page/", "not found"),
    ]:
        page.goto(path)
        assert name == "not found" or page.locator(".notice").count() >= 1  # the notice's banner
        if name == "troubleshooter":
            from playwright.sync_api import expect

            expect(page.locator("#check-summary")).to_have_text(re.compile(r"\S"))
        audit.check(page, name)

    # A wrong password (the error), then the lock the fifth one makes.
    page.goto("/accounts/login/")
    _login(page, username, "wrong guess 0")
    audit.check(page, "login refused")
    for n in range(1, 5):
        _login(page, username, f"wrong guess {n}")
    assert page.locator(".reference").count() == 1, page.url
    audit.check(page, "lock page")
    lock_url = page.url

    page.goto("/accounts/login/")
    _submit(page)  # nothing typed: each field says so
    audit.check(page, "login empty", field_errors=True)
    page.goto("/accounts/unlock/code/")
    audit.check(page, "unlock with a code")

    # The reset: its start with errors, the code page (and a wrong code), the new password.
    page.goto("/accounts/password/reset/")
    _submit(page)
    audit.check(page, "reset start errors", field_errors=True)
    page.fill("input[name=identifier]", email)
    page.check("input[name=channel][value=email]")
    _submit(page)
    page.wait_for_url(re.compile(r"/accounts/password/reset/verify/"))
    audit.check(page, "reset code")
    code = CODE.search(mail.outbox[-1].body).group(1)
    page.fill("input[name=code]", "123456" if code != "123456" else "654321")
    _submit(page, "main form button[type=submit] >> nth=0")
    audit.check(page, "reset code wrong")
    page.fill("input[name=code]", code)
    _submit(page, "main form button[type=submit] >> nth=0")
    page.wait_for_url(re.compile(r"/accounts/password/reset/new/"))
    audit.check(page, "reset new password")
    page.fill("input[name=new_password1]", PASSWORD)
    page.fill("input[name=new_password2]", PASSWORD + " not the same")
    _submit(page, "main form button[type=submit] >> nth=0")
    audit.check(page, "reset new password errors", field_errors=True)

    # The unlock request: errors, then filed, then its status page.
    page.goto("/tickets/unlock/")
    _submit(page, "form.form button[type=submit]")
    audit.check(page, "unlock request errors", field_errors=True)
    page.fill("input[name=username]", username)
    page.locator("input[name=problem_since]").first.check()
    _submit(page, "form.form button[type=submit]")
    audit.check(page, "unlock request filed")
    page.goto(urlsplit(page.locator("#status-link").input_value()).path)
    audit.check(page, "unlock request status")
    page.goto(lock_url)


def _maintenance_pages(page, audit: Audit, *, username: str) -> None:
    notice = NoticeFactory(
        title_en="Directory upgrade",
        title_zh="目录升级",
        blocks_signin=True,
        ends_at=timezone.now() + timedelta(hours=2),
    )
    page.goto("/accounts/login/")
    assert page.locator(".signin-paused").count() == 1  # the login page says it is closed
    audit.check(page, "sign-in paused")
    page.goto("/tickets/unlock/")
    audit.check(page, "unlock request during maintenance")
    _submit(page, "form.form button[type=submit]")
    audit.check(page, "unlock request during maintenance errors", field_errors=True)
    page.check("input[name=maintenance_answer][value=maintenance]")
    _submit(page, "form.form button[type=submit]")
    assert page.locator("form.form").count() == 0  # nothing filed: when to come back
    audit.check(page, "unlock request: wait for the maintenance")
    from notices.services import notice_save

    notice.ends_at = timezone.now() - timedelta(minutes=1)
    notice.starts_at = notice.ends_at - timedelta(hours=1)
    notice_save(notice=notice, actor=None)


def _oidc_pages(page, audit: Audit, *, user_context) -> None:
    from tests.sso.oidc import authorize_query, pkce, register

    trusted = register(name="销售易 CRM")
    _verifier, challenge = pkce()
    page.goto(authorize_query(trusted, challenge=challenge))
    audit.check(page, "authorize signed out")
    untrusted = register(name="Expense app", trusted=False)
    user_page = user_context.new_page()
    user_page.goto(authorize_query(untrusted, challenge=challenge))
    audit.check(user_page, "authorize consent")
    user_page.close()


def _account_pages(page, audit: Audit) -> None:
    for path, name in [
        ("/account/", "account"),
        ("/account/contacts/", "account contacts"),
        ("/account/two-step/", "account two-step"),
        ("/account/two-step/set-up/", "account two-step set-up"),
        ("/account/messengers/", "account messengers"),
        ("/account/passkeys/", "account passkeys"),
        ("/account/passkeys/add/", "account passkey add"),
        ("/account/password/", "account password"),
    ]:
        page.goto(path)
        audit.check(page, name)
    _submit(page)  # the password change, nothing typed
    audit.check(page, "account password errors", field_errors=True)


def _admin_pages(page, audit: Audit) -> None:
    from tickets.models import Ticket

    ticket = Ticket.objects.order_by("-pk").first()
    for path, name in [
        ("/admin/", "admin home"),
        ("/admin/tickets/ticket/", "admin queue"),
        (f"/admin/tickets/ticket/{ticket.pk}/change/", "admin ticket"),
    ]:
        page.goto(path)
        audit.check(page, name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_serious_or_critical_violation_anywhere(chromium, live_server, language):
    from tests.tickets.conftest import make_agent

    suffix = language.replace("-", "")
    employee = UserFactory(username=f"wang.fang.{suffix}", language=language)
    other = UserFactory(username=f"li.na.{suffix}", language=language)
    agent = make_agent(f"agent.{suffix}")
    agent.language = language
    agent.save(update_fields=["language"])
    audit = Audit(language)

    public = _context(chromium, live_server, language)
    user_context = _context(chromium, live_server, language)
    admin = _context(chromium, live_server, language)
    try:
        page = public.new_page()
        _public_pages(page, audit, username=employee.username, email=employee.email)
        _maintenance_pages(page, audit, username=other.username)
        signing_in = user_context.new_page()  # a real sign-in: /account/ lists it
        signing_in.goto("/accounts/login/")
        _login(signing_in, other.username, DEFAULT_PASSWORD)
        signing_in.wait_for_url(re.compile(r"/account/"))
        signing_in.close()
        _oidc_pages(page, audit, user_context=user_context)
        _account_pages(user_context.new_page(), audit)
        admin_login = admin.new_page()
        admin_login.goto("/admin/login/")
        audit.check(admin_login, "admin login")
        _signed_in(admin, live_server, agent, two_step=True)
        _admin_pages(admin_login, audit)
    finally:
        public.close()
        user_context.close()
        admin.close()
    assert audit.pages >= 28 and audit.controls >= 300
    assert not audit.found, "\n".join(f"{where}: {found}" for where, found in audit.found.items())
