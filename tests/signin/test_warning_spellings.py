"""The "attempts left" warning tells an outsider nothing about accounts.

Failures typed as a username, its email or its phone number all count on the account's one
counter (so mixing spellings never buys more guesses), but the warning counts only the failures
typed as the same text (``accounts.identifiers.identifier_canonical``: case, width, spaces, phone
formats), the same way for a real and an unknown name. Each test compares the whole answers
(status, warning, page without its CSRF token) of a real case with an unknown one.
"""

from __future__ import annotations

import re
from html import escape
from http import HTTPStatus
from urllib.parse import quote_plus

import pytest

from signin.selectors import lock_status
from signin.unlock import lock_clear
from tests.factories import UserFactory
from tests.signin.conftest import browser, post_login

pytestmark = pytest.mark.django_db

WARNING = re.compile(r"\d+ attempts? left before sign-in is locked for \d+ minutes\.")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
REGISTERED, UNREGISTERED = "+8613710000060", "+8613710000070"


def answer(response, typed: list[str]) -> tuple[int, str, str]:
    """(status, the warning or "", the page) with the CSRF token, lock references and the typed
    texts (however the page writes them) blanked: what may differ between two names."""
    page = CSRF.sub("", response.content.decode())
    page = re.sub(r"LK-[0-9A-Z]{5}", "LK-?", page)
    for text in sorted(set(typed), key=len, reverse=True):
        for written in (escape(text), quote_plus(text), text):
            page = page.replace(written, "TYPED")
    warning = WARNING.search(page)
    return response.status_code, warning.group(0) if warning else "", page


def run(spellings: list[str]) -> list[tuple[int, str, str]]:
    """One wrong password per spelling, from one browser without cookies."""
    client = browser()
    return [answer(post_login(client, typed), spellings) for typed in spellings]


def warnings(answers) -> list[str]:
    return [warning for _status, warning, _page in answers]


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def phone_formats(number: str) -> list[str]:
    """``+8613710000060`` as people type it: as is, national with spaces, with the 86 prefix."""
    national = number.removeprefix("+86")
    return [number, f"{national[:3]} {national[3:7]} {national[7:]}", f"86{national}"]


def test_a_phone_number_typed_in_other_formats_answers_the_same_registered_or_not(clock):
    UserFactory(username="phone.owner", phone=REGISTERED)

    def attack(number: str) -> list:
        e164, spaced, prefixed = phone_formats(number)
        first = run([e164, e164, spaced, prefixed, spaced])
        lock_clear(username=spaced, how="manual")  # an agent ends the lock: the count starts again
        return first + run([prefixed, e164, spaced])

    registered, unregistered = attack(REGISTERED), attack(UNREGISTERED)

    assert registered == unregistered
    assert warnings(registered) == [
        "",
        "",
        "2 attempts left before sign-in is locked for 30 minutes.",
        "1 attempt left before sign-in is locked for 30 minutes.",
        "",  # the lock page
        "",
        "",
        "2 attempts left before sign-in is locked for 30 minutes.",
    ]
    assert registered[4][0] == HTTPStatus.TOO_MANY_REQUESTS


def test_a_name_then_an_email_warns_the_same_whether_the_email_is_that_names():
    UserFactory(username="wang.fang")  # wang.fang@corp.example.cn
    UserFactory(username="li.lei")
    own_email = run(["wang.fang", "wang.fang", "wang.fang@corp.example.cn"])
    another_email = run(["li.lei", "li.lei", "not.li.lei@corp.example.cn"])
    unknown_both = run(["no.one.here", "no.one.here", "no.one.here@corp.example.cn"])

    assert own_email == another_email == unknown_both
    assert warnings(own_email) == ["", "", ""]  # the email's first failure, whoever it belongs to


def test_case_width_and_space_variants_count_on_one_key_for_a_real_and_an_unknown_name(user, clock):
    def variants(name: str) -> list[str]:
        return [name, name.upper(), full_width(name), f"{name[:3]} {name[3:]}", f" {name} "]

    real, unknown = run(variants("zhang.wei")), run(variants("no.such.person"))

    assert real == unknown
    assert warnings(real)[2:4] == [
        "2 attempts left before sign-in is locked for 30 minutes.",
        "1 attempt left before sign-in is locked for 30 minutes.",
    ]
    assert real[4][0] == unknown[4][0] == HTTPStatus.TOO_MANY_REQUESTS
    assert lock_status(username=full_width("no.such.person")).locked


def test_mixed_spellings_still_lock_the_account_at_the_fifth_failure(clock):
    def spellings(name: str, number: str) -> list[str]:
        email = f"{name}@corp.example.cn"
        _e164, spaced, prefixed = phone_formats(number)
        return [name, email.upper(), spaced, full_width(email), prefixed]

    UserFactory(username="chen.jie", phone=REGISTERED)
    real = run(spellings("chen.jie", REGISTERED))
    unknown = run(spellings("chen.nobody", UNREGISTERED))

    assert [status for status, _w, _p in real] == [HTTPStatus.OK] * 4 + [
        HTTPStatus.TOO_MANY_REQUESTS
    ]
    assert warnings(real)[:4] == ["", "", "", ""]  # no spelling was typed three times
    assert real[:4] == unknown[:4]
    status = lock_status(username=REGISTERED)
    assert status.locked and status.failures == 5 and status.username == "chen.jie"
    # The price of never letting mixed spellings multiply guesses: an unknown name typed the same
    # ways counts each spelling apart, so it is not locked yet (README, "Who is counted").
    assert unknown[4][0] == HTTPStatus.OK
