"""The journey the portal exists for, in Chromium, three ways: with a mouse on a desktop, with a
finger on a 390×844 phone, and with the keyboard alone. Five wrong passwords lock the account;
the lock page tells when it unlocks and gives the reference; the employee resets the password
with a code sent by SMS (a real Celery worker writes it to the ``file`` backend in CI), chooses a
new one, and signs in.

On the desktop and the phone every page is also looked at in English and in 简体中文 (the header's
language switch, there and back): nothing on screen may be in the other language, and each is
photographed for the README and CI (tests/e2e/browser.py ``Screenshots``)."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from signin.models import Lock
from tests.e2e.browser import switch_language, tab_to, type_into, untranslated
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a long new passphrase for spring"
SUBMIT = "main form button[type=submit]"


class Mouse:
    """Clicks and typing into fields, as on a desktop."""

    name = "desktop"

    def __init__(self, page) -> None:
        self.page = page

    def fill(self, selector: str, text: str) -> None:
        self.page.fill(selector, text)

    def choose(self, selector: str) -> None:
        self.page.check(selector)

    def press(self, selector: str) -> None:
        """Follow a link or press a button that loads the next page."""
        with self.page.expect_navigation():
            self.page.locator(selector).first.click()


class Finger(Mouse):
    """Taps, as on a phone: the field is tapped before the text goes in."""

    name = "phone"

    def fill(self, selector: str, text: str) -> None:
        self.page.locator(selector).tap()
        self.page.fill(selector, text)

    def choose(self, selector: str) -> None:
        self.page.locator(selector).tap()
        assert self.page.is_checked(selector)

    def press(self, selector: str) -> None:
        with self.page.expect_navigation():
            self.page.locator(selector).first.tap()


class Keyboard(Mouse):
    """Tab, the arrow keys, typing and Enter: never a click."""

    name = "keyboard"

    def fill(self, selector: str, text: str) -> None:
        type_into(self.page, selector, text)

    def choose(self, selector: str) -> None:
        name = re.search(r"name=(\w+)", selector).group(1)
        tab_to(self.page, f"input[name={name}]")
        for _ in range(6):
            if self.page.is_checked(selector):
                return
            self.page.keyboard.press("ArrowDown")
        raise AssertionError(f"the arrow keys never chose {selector}")

    def press(self, selector: str) -> None:
        tab_to(self.page, selector)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


class Pages:
    """Each page of the journey: in both languages (desktop and phone) or in one (keyboard),
    photographed, with what is on screen in the wrong language collected."""

    def __init__(self, page, hands, shots, *, both: bool, allowed: tuple[str, ...]) -> None:
        self.page, self.hands, self.shots, self.both = page, hands, shots, both
        self.allowed = allowed
        self.problems: list[str] = []
        self.seen: list[str] = []

    def look(self, name: str, *, switch: bool = True) -> None:
        self._check(name)
        if not self.both or not switch:
            return
        tap = isinstance(self.hands, Finger)
        switch_language(self.page, tap=tap)
        self._check(name)
        switch_language(self.page, tap=tap)

    def _check(self, name: str) -> None:
        language = self.page.locator("html").get_attribute("lang")
        self.seen.append(f"{name}.{language}")
        self.problems += [
            f"{name} ({language}): {p}" for p in untranslated(self.page, allowed=self.allowed)
        ]
        if self.both:
            self.shots.take(self.page, name)


def _sign_in(hands, username: str, password: str) -> None:
    hands.fill("input[name=username]", username)
    hands.fill("input[name=password]", password)
    hands.press(SUBMIT)


@pytest.mark.parametrize("how", ["desktop", "phone", "keyboard"])
def test_locked_out_employee_resets_by_sms_and_signs_in(new_context, tasks, shots, how):
    language = "en" if how == "phone" else "zh-hans"
    user = UserFactory(username="wang.fang", first_name="芳", last_name="王", language=language)
    phone = str(user.phone)
    context = new_context(locale="en-US" if how == "phone" else "zh-CN", phone=how == "phone")
    page = context.new_page()
    hands = {"desktop": Mouse, "phone": Finger, "keyboard": Keyboard}[how](page)
    pages = Pages(page, hands, shots, both=how != "keyboard", allowed=("wang.fang", "Wang.Fang"))

    page.goto("/accounts/login/")
    pages.look("login")
    for n in range(5):
        _sign_in(hands, "Wang.Fang " if n == 0 else "wang.fang", f"wrong guess {n}")

    # The lock page: when it unlocks (in the portal's time zone) and the reference.
    lock = Lock.objects.get(user=user, ended_at__isnull=True)
    body = page.locator("main").inner_text()
    assert lock.reference in body
    assert timezone.localtime(lock.locked_until).strftime("%H:%M") in body
    assert page.get_by_role("heading", level=1).count() == 1
    if pages.both:
        # As answered to the fifth attempt (a POST's answer: the switch would reload the login
        # page), then the same page by its link to come back to, in both languages.
        pages.look("locked", switch=False)
        hands.press("main a[href^='/accounts/locked/']")
        assert lock.reference in page.locator("main").inner_text()
        pages.look("locked-again")

    # Way out: reset now, by SMS.
    hands.press("main a[href^='/accounts/password/reset/']")
    pages.look("reset-start")
    hands.fill("input[name=identifier]", "wang.fang")
    hands.choose("input[name=channel][value=sms]")
    hands.press(SUBMIT)
    page.wait_for_url(re.compile(r"/accounts/password/reset/verify/"))
    pages.look("reset-code")
    hands.fill("input[name=code]", tasks.code(to=phone, kind="reset_code"))
    hands.press(SUBMIT)
    page.wait_for_url(re.compile(r"/accounts/password/reset/new/"))
    pages.look("reset-new-password")
    hands.fill("input[name=new_password1]", NEW_PASSWORD)
    hands.fill("input[name=new_password2]", NEW_PASSWORD)
    hands.press(SUBMIT)

    # Not signed in automatically: back at the login page, the lock lifted by the reset.
    page.wait_for_url(re.compile(r"/accounts/login/"))
    pages.look("login-after-reset")
    _sign_in(hands, "wang.fang", NEW_PASSWORD)
    page.wait_for_url(re.compile(r"/account/$"))
    assert page.get_by_role("heading", level=1).count() == 1
    pages.look("account")
    lock.refresh_from_db()
    assert lock.ended_at is not None
    assert pages.problems == [], "\n".join(pages.problems)
    if pages.both:  # every page was seen in both languages
        assert {seen.split(".")[1] for seen in pages.seen} == {"en", "zh-hans"}
        names = {seen.split(".")[0] for seen in pages.seen} - {"locked"}
        assert all(f"{n}.{lang}" in pages.seen for n in names for lang in ("en", "zh-hans"))
