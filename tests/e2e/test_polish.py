"""The visual polish of issue 17, measured in Chromium on a 390×844 phone (boxes, not pixels of
a screenshot): the lock page's ways out line up with their heading and "Wait" does not look like
a link; a field's error sits under its field, flush with it, with an icon; a request's reference
stays on one line in its heading; the sign-ins table on /account/ fits; the unlock form marks
every required question alike and says what the mark means; the agent's action boxes have real
labels; in Chinese the account timeline's event column is wide enough to read."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from tests.e2e.axe import SIZES
from tests.factories import DEFAULT_PASSWORD, UserFactory, otp_force_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": SIZES["phone"][0], "height": SIZES["phone"][1]},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


def _phone(chromium, live_server, *, locale: str, language: str):
    context = chromium.new_context(locale=locale, base_url=live_server.url, **PHONE)
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )
    context.set_default_timeout(10_000)
    return context


def _submit(page, selector: str = "main form button[type=submit]") -> None:
    with page.expect_navigation():
        page.locator(selector).last.click()


def _login(page, username: str, password: str) -> None:
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    _submit(page)


def _box(page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box


def _lines(page, selector: str) -> int:
    """How many lines the element's text takes (its inline boxes, one per line)."""
    return page.eval_on_selector(selector, "el => el.getClientRects().length")


def _lock_page(page) -> None:
    heading = _box(page, "main h2")
    items = page.locator("ol.choices > li")
    assert items.count() >= 3
    for n in range(items.count()):
        box = items.nth(n).bounding_box()
        assert abs(box["x"] - heading["x"]) <= 1, (n, box, heading)  # no list indent
        assert box["x"] + box["width"] <= SIZES["phone"][0]
    wait, link = page.locator("ol.choices div.choice"), page.locator("ol.choices a.choice").first
    assert wait.count() == 1
    look = (
        "el => { const s = getComputedStyle(el);"
        " return [s.backgroundColor, s.borderTopStyle, s.boxShadow] }"
    )
    strong = "el => getComputedStyle(el.querySelector('strong')).color"
    wait_bg, wait_border, wait_shadow = wait.evaluate(look)
    link_bg, link_border, link_shadow = link.evaluate(look)
    assert wait_bg == "rgba(0, 0, 0, 0)" and wait_border == "none" and wait_shadow == "none"
    assert link_bg != wait_bg and link_border == "solid" and link_shadow != "none"
    assert wait.evaluate(strong) != link.evaluate(strong)  # its heading is not link-coloured


def _field_error_under_its_field(page, field: str) -> None:
    control = _box(page, f"#id_{field}")
    error = _box(page, f"#id_{field}_error")
    assert error["y"] >= control["y"] + control["height"] - 1, (control, error)  # under it
    assert abs(error["x"] - control["x"]) <= 1, (control, error)  # flush with it
    icon = page.eval_on_selector(
        f"#id_{field}_error li", "el => getComputedStyle(el, '::before').content"
    )
    assert icon not in ("none", "normal", ""), icon  # not by colour alone
    described = page.get_attribute(f"#id_{field}", "aria-describedby") or ""
    assert f"id_{field}_error" in described.split()
    assert page.get_attribute(f"#id_{field}", "aria-invalid") == "true"


def _unlock_form_marks(page) -> None:
    marks = page.evaluate(
        """() => [...document.querySelectorAll(
            'form.form input:not([type=hidden]), form.form textarea')]
          .filter(el => !el.closest('.hp-field'))
          .map(el => {
            const box = el.closest('fieldset') ? el.closest('fieldset').querySelector('legend')
              : document.querySelector('label[for="' + el.id + '"]');
            return [el.name, el.required, !!box.querySelector('.required-mark')];
          })"""
    )
    assert {name for name, required, _m in marks if required} >= {"username", "problem_since"}
    for name, required, marked in marks:
        assert required == marked, name
    assert page.locator("#required-note .required-mark").is_visible()


def test_employee_pages_on_a_phone(chromium, live_server):
    employee = UserFactory(username="wang.fang", language="en")
    context = _phone(chromium, live_server, locale="en-US", language="en")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        for n in range(5):
            _login(page, employee.username, f"wrong guess {n}")
        _lock_page(page)

        page.goto("/accounts/password/reset/")
        _submit(page)
        _field_error_under_its_field(page, "identifier")

        page.goto("/tickets/unlock/")
        _unlock_form_marks(page)
        _submit(page, "form.form button[type=submit]")
        _field_error_under_its_field(page, "username")
        page.fill("input[name=username]", employee.username)
        page.locator("input[name=problem_since]").first.check()
        _submit(page, "form.form button[type=submit]")
        page.goto(urlsplit(page.locator("#status-link").input_value()).path)
        reference = "main h1 .request-ref"
        assert re.fullmatch(r"UNL-\d{4}-\d{6}", page.inner_text(reference))
        assert _lines(page, reference) == 1
        assert _box(page, reference)["x"] + _box(page, reference)["width"] <= SIZES["phone"][0]

        page.goto("/accounts/login/")
        other = UserFactory(username="li.na", language="en")
        _login(page, other.username, DEFAULT_PASSWORD)
        page.wait_for_url(re.compile(r"/account/"))
        table = "section[aria-labelledby=signins-h] table"
        assert page.locator(f"{table} tbody tr").count() >= 1
        fits = page.eval_on_selector(
            table,
            "t => [t.getBoundingClientRect().right, t.parentElement.scrollWidth,"
            " t.parentElement.clientWidth, document.documentElement.scrollWidth]",
        )
        right, scroll_width, client_width, page_width = fits
        assert right <= SIZES["phone"][0] and scroll_width <= client_width, fits
        assert page_width <= SIZES["phone"][0], fits  # nothing wider than the phone
    finally:
        context.close()


def _agent_session(agent) -> str:
    client = Client()
    otp_force_login(client, agent)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_agents_ticket_page_labels_and_chinese_timeline(chromium, live_server):
    from tests.tickets.conftest import make_agent
    from tests.tickets.factories import TicketFactory

    employee = UserFactory(username="zhang.wei")
    browser = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0")
    for n in range(3):  # real failed sign-ins: the account timeline's rows
        browser.post("/accounts/login/", {"username": "zhang.wei", "password": f"wrong {n}"})
    ticket = TicketFactory(user=employee)
    agent = make_agent("agent.wang")
    agent.language = "zh-hans"
    agent.save(update_fields=["language"])
    for width in (SIZES["desktop"][0], SIZES["phone"][0]):
        context = _phone(chromium, live_server, locale="zh-CN", language="zh-hans")
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": _agent_session(agent),
                    "url": live_server.url,
                }
            ]
        )
        try:
            page = context.new_page()
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(f"/admin/tickets/ticket/{ticket.pk}/change/")
            areas = page.evaluate(
                """() => [...document.querySelectorAll('.tk-actions textarea')].map(t => {
                    const label = t.id && document.querySelector('label[for="' + t.id + '"]');
                    return [t.name, label ? label.innerText.trim() : '',
                            label ? label.getBoundingClientRect().height : 0, !!t.placeholder];
                  })"""
            )
            assert len(areas) >= 3
            for name, label, height, placeholder in areas:
                assert label and height > 0, name  # a visible label, kept while typing
                assert not placeholder, name  # the label is not a vanishing placeholder
            font = page.eval_on_selector("body", "b => parseFloat(getComputedStyle(b).fontSize)")
            cells = page.eval_on_selector_all(
                "td.tk-sentence",
                "cells => cells.map(c => { const r = document.createRange();"
                " r.selectNodeContents(c.previousElementSibling);"
                " const tops = new Set([...r.getClientRects()].map(x => Math.round(x.top)));"
                " return [c.getBoundingClientRect().width, tops.size]; })",
            )
            assert cells, "the account timeline shows the failed sign-ins"
            for sentence_width, when_lines in cells:
                assert sentence_width >= 8 * font, (width, cells, font)  # eight characters at least
                assert when_lines == 1, (width, cells)  # the time on one line
        finally:
            context.close()
