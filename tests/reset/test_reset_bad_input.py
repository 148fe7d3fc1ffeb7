"""Bad input anywhere in the reset: a clear message, a restart link where needed, a 4xx, never a
500, and nothing changes."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from reset.flow import SESSION_KEY
from reset.models import ResetFlow
from tests.reset.conftest import NEW, SECOND, START, VERIFY, last_code

pytestmark = pytest.mark.django_db

RESTART_LINK = f'href="{START}"'


@pytest.mark.parametrize("url", [VERIFY, SECOND, NEW])
def test_steps_without_a_reset_in_this_browser(browser, url):
    response = browser.get(url)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert "There is no password reset in progress in this browser" in body
    assert RESTART_LINK in body


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (VERIFY, {"code": "123456"}),
        (VERIFY, {"action": "resend"}),
        (SECOND, {"otp_token": "123456"}),
        (NEW, {"new_password1": "a long new passphrase", "new_password2": "a long new passphrase"}),
    ],
)
def test_posts_without_a_reset_in_this_browser(browser, url, data):
    response = browser.post(url, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert RESTART_LINK in response.content.decode()


@pytest.mark.parametrize("tampered", ["x" * 43, "", "short", "😀" * 30, ["a", "list"], 12345])
def test_a_tampered_flow_id(user, browser, clock, tampered):
    browser.start("zhang.wei")
    session = browser.client.session
    session[SESSION_KEY] = tampered
    session.save()
    response = browser.code(last_code())
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert RESTART_LINK in response.content.decode()
    assert ResetFlow.objects.get().state == ResetFlow.State.CODE_SENT


@pytest.mark.parametrize(
    ("field", "url"),
    [("identifier", START), ("code", VERIFY), ("otp_token", SECOND), ("new_password1", NEW)],
)
def test_ten_kilobyte_fields_are_refused_with_a_message(user, browser, clock, field, url):
    data = {
        START: {"identifier": "zhang.wei", "channel": "email"},
        VERIFY: {"code": "123456"},
        SECOND: {"otp_token": "123456"},
        NEW: {"new_password1": "x", "new_password2": "x"},
    }[url]
    if url != START:
        browser.start("zhang.wei")
        flow = ResetFlow.objects.get()
        flow.state = {
            VERIFY: flow.State.CODE_SENT,
            SECOND: flow.State.SECOND_FACTOR,
            NEW: flow.State.READY,
        }[url]
        flow.verified_at = clock.now()
        flow.save()
    data[field] = "9" * 10_240
    response = browser.post(url, data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "at most" in response.content.decode()


@pytest.mark.parametrize(
    "identifier",
    ["zhang\x00wei", "zhang\x07wei", "zhang\u202ewei", "  ", "zhang\ufffdwei"],
)
def test_control_characters_and_blank_identifiers(user, browser, identifier):
    response = browser.post(START, {"identifier": identifier, "channel": "email"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not ResetFlow.objects.exists()


def test_non_utf8_input_is_a_clear_error(user, browser):
    response = browser.client.post(
        START,
        data=b"identifier=zhang%FF%FEwei&channel=email",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "could not be read" in response.content.decode()


@pytest.mark.parametrize("code", ["12a456", "abcdef", "12345", "1234567", "١٢٣٤٥٦", "12\x0056"])
def test_letters_and_odd_digits_in_the_code(user, browser, clock, code):
    browser.start("zhang.wei")
    response = browser.code(code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter the 6 digits" in response.content.decode() or "Null characters" in (
        response.content.decode()
    )
    assert ResetFlow.objects.get().failures == 0


def test_full_width_digits_from_a_chinese_keyboard_work(user, browser, clock):
    browser.start("zhang.wei")
    code = last_code().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert browser.code(code).url == NEW


def test_a_code_for_an_expired_flow(user, browser, clock):
    browser.start("zhang.wei")
    code = last_code()
    clock.advance(hours=1)
    response = browser.code(code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    body = response.content.decode()
    assert "This password reset has expired" in body
    assert RESTART_LINK in body


def test_the_new_password_step_runs_out(user, browser, clock):
    browser.start("zhang.wei")
    browser.code(last_code())
    clock.advance(minutes=15)
    response = browser.new_password()
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "run out" in response.content.decode()


def test_an_invalid_channel_is_a_form_error(user, browser):
    response = browser.post(START, {"identifier": "zhang.wei", "channel": "fax"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 500])
def test_a_bogus_reset_link(browser, token):
    response = browser.get(f"/accounts/password/reset/link/{token}/")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert RESTART_LINK in response.content.decode()
