"""No step of the reset tells whether an account exists: same status, body, redirects, caps and
wording for a real account, an unknown name, a disabled account and one without a verified
contact; only the real one gets a message."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest

from messaging.models import OutboxMessage
from reset.models import ResetBlock
from tests.factories import UserFactory
from tests.reset.conftest import START, VERIFY

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return CSRF.sub("", response.content.decode())


@pytest.fixture
def accounts(db):
    UserFactory(username="real.person", email="real.person@corp.example.cn")
    UserFactory(username="left.company", email="left@corp.example.cn", is_active=False)
    UserFactory(
        username="no.contact",
        email="no.contact@corp.example.cn",
        email_verified_at=None,
        phone_verified_at=None,
    )
    return {
        "real": "real.person",
        "unknown": "nobody.here",
        "inactive": "left.company",
        "unverified": "no.contact",
    }


@pytest.mark.parametrize("channel", ["email", "sms"])
def test_every_kind_of_identifier_gets_the_same_answer(accounts, make_browser, clock, channel):
    seen = {}
    for case, identifier in accounts.items():
        before = OutboxMessage.objects.count()
        browser = make_browser()
        start = browser.start(identifier, channel)
        page = browser.get(VERIFY)
        seen[case] = (
            start.status_code,
            start.url,
            page.status_code,
            _body(page),
            OutboxMessage.objects.count() - before,
        )
    real = seen.pop("real")
    assert real[0] == HTTPStatus.FOUND and real[1] == VERIFY and real[2] == HTTPStatus.OK
    assert real[4] == 1  # exactly one message, for the real account only
    for case, answer in seen.items():
        assert answer[:4] == real[:4], f"{case} differs from a real account"
        assert answer[4] == 0, f"{case} got a message"


def test_the_start_page_is_the_same_after_a_refused_form(accounts, make_browser, clock):
    pages = set()
    for identifier in accounts.values():
        response = make_browser().post(START, {"identifier": identifier, "channel": "pigeon"})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        pages.add(_body(response).replace(identifier, "X"))
    assert len(pages) == 1


def _answers_until_capped(browser, identifier: str, channel: str = "email") -> list[tuple]:
    answers = []
    for _ in range(7):
        response = browser.start(identifier, channel)
        answers.append((response.status_code, _body(response).replace(identifier, "X")))
    return answers


def test_send_caps_meet_real_and_unknown_names_at_the_same_count(accounts, make_browser, clock):
    real = _answers_until_capped(make_browser(), accounts["real"])
    unknown = _answers_until_capped(make_browser(), accounts["unknown"])
    assert [a[0] for a in real] == [HTTPStatus.FOUND] * 5 + [HTTPStatus.TOO_MANY_REQUESTS] * 2
    assert real == unknown
    assert "Too many codes were requested" in real[-1][1]


def test_sms_cap_offers_email_at_the_same_count(accounts, make_browser, clock):
    real = _answers_until_capped(make_browser(), accounts["real"], "sms")
    unknown = _answers_until_capped(make_browser(), accounts["unknown"], "sms")
    assert [a[0] for a in real][:4] == [HTTPStatus.FOUND] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert real == unknown
    assert "Please choose email" in real[3][1]
    assert re.search(r'value="email"[^>]*checked', real[3][1])


def test_twenty_wrong_codes_block_real_and_unknown_names_alike(accounts, make_browser, clock):
    answers = {"real": [], "unknown": []}
    for _round in range(4):
        for case in answers:
            browser = make_browser()
            browser.start(accounts[case])
            for _ in range(5):
                response = browser.code("000000")
                answers[case].append((response.status_code, _body(response)))
        clock.advance(minutes=13)  # stays below 5 sends an hour
    for case in answers:
        blocked = make_browser().start(accounts[case])
        answers[case].append((blocked.status_code, _body(blocked).replace(accounts[case], "X")))
    real, unknown = answers["real"], answers["unknown"]
    # (a real code is 000000 once in a million runs: the real answers would then differ)
    assert real == unknown
    assert real[-1][0] == HTTPStatus.TOO_MANY_REQUESTS
    assert "paused for this account" in real[-1][1]
    assert ResetBlock.objects.filter(key__startswith="account:").count() == 1
    assert ResetBlock.objects.filter(key__startswith="typed:").count() == 2
