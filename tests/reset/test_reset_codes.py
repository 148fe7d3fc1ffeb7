"""Reset codes through the pages: 10 minutes, one use, 5 tries kept across resends, resend after
60 s and at most 5 an hour, codes bound to their flow and account."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail

from accounts.models import ContactCodeDevice
from audit.models import AuditEvent
from messaging import sms
from reset.models import ResetFlow
from tests.factories import UserFactory
from tests.reset.conftest import NEW, VERIFY, last_code

pytestmark = pytest.mark.django_db


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_the_code_works_at_9_59_and_not_at_10_00(user, make_browser, clock):
    early = make_browser()
    early.start("zhang.wei")
    code = last_code()
    clock.advance(minutes=9, seconds=59)
    response = early.code(code)
    assert response.status_code == HTTPStatus.FOUND and response.url == NEW

    clock.advance(hours=1)
    late = make_browser()
    late.start("zhang.wei")
    code = last_code()
    clock.advance(minutes=10)
    response = late.code(code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "This code has expired" in response.content.decode()


def test_a_code_works_once(user, browser, make_browser, clock):
    browser.start("zhang.wei")
    code = last_code()
    assert browser.code(code).url == NEW
    # The flow has moved on: the same code posted again does not verify anything new.
    assert ResetFlow.objects.get().state == ResetFlow.State.READY
    device = ContactCodeDevice.objects.get()
    assert device.token_hash == ""
    assert device.verify_token(code) is False


def test_five_wrong_tries_end_the_flow(user, browser, clock):
    browser.start("zhang.wei")
    code = last_code()
    for left in (4, 3, 2, 1):
        response = browser.code(_wrong(code))
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert f"{left} tr" in response.content.decode()
    response = browser.code(_wrong(code))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Too many wrong codes" in response.content.decode()
    assert "Start a new reset" in response.content.decode()
    response = browser.code(code)  # the right code no longer helps
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ResetFlow.objects.get().state == ResetFlow.State.FAILED


def test_the_failure_count_survives_a_resend(user, browser, clock):
    browser.start("zhang.wei")
    first = last_code()
    for _ in range(4):
        browser.code(_wrong(first))
    clock.advance(seconds=60)
    assert browser.resend().status_code == HTTPStatus.FOUND
    second = last_code()
    assert browser.code(first).status_code == HTTPStatus.BAD_REQUEST  # the old code is dead
    response = browser.code(second)  # 6th try: the flow already stopped at the 5th
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert ResetFlow.objects.get().failures == 5


def test_resend_waits_60_seconds_and_replaces_the_code(user, browser, clock):
    browser.start("zhang.wei")
    first = last_code()
    clock.advance(seconds=59)
    response = browser.resend()
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "You can ask for a new code at" in response.content.decode()
    assert len(mail.outbox) == 1
    clock.advance(seconds=1)
    assert browser.resend().status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 2
    second = last_code()
    if second != first:
        assert browser.code(first).status_code == HTTPStatus.BAD_REQUEST
    assert browser.code(second).url == NEW


def test_at_most_five_sends_an_hour_per_account(user, browser, make_browser, clock):
    browser.start("zhang.wei")
    for _ in range(4):
        clock.advance(seconds=60)
        assert browser.resend().status_code == HTTPStatus.FOUND
    clock.advance(seconds=60)
    response = browser.resend()
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert len(mail.outbox) == 5
    # Typing the email address instead of the username: the browser is not told (it would link
    # the two), but the account's own cap holds: no sixth code goes out.
    other = make_browser()
    assert other.start(user.email).status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 5
    assert AuditEvent.objects.filter(event="code.refused", data__reason="rate_limited").exists()
    clock.advance(hours=1)
    assert make_browser().start(user.email).status_code == HTTPStatus.FOUND
    assert len(mail.outbox) == 6


def test_resend_by_the_other_channel(user, browser, clock):
    browser.start("zhang.wei", "email")
    clock.advance(seconds=60)
    assert browser.resend("resend_sms").status_code == HTTPStatus.FOUND
    code = last_code(channel="sms")
    assert browser.code(code).url == NEW


def test_a_code_from_another_flow_or_account_is_refused(make_browser, clock):
    UserFactory(username="zhang.wei")
    UserFactory(username="li.na")
    mine, theirs, same_account = make_browser(), make_browser(), make_browser()
    mine.start("zhang.wei")
    my_code = last_code()
    theirs.start("li.na")
    their_code = last_code()
    same_account.start("zhang.wei")
    same_account_code = last_code()
    for code in {their_code, same_account_code} - {my_code}:
        assert mine.code(code).status_code == HTTPStatus.BAD_REQUEST
    if my_code != their_code:
        assert theirs.code(my_code).status_code == HTTPStatus.BAD_REQUEST
    assert mine.code(my_code).url == NEW


def test_sms_codes_go_only_to_verified_numbers(make_browser, clock):
    UserFactory(username="zhang.wei", phone_verified_at=None)
    make_browser().start("zhang.wei", "sms")
    assert sms.outbox == []
    assert len(mail.outbox) == 1  # the verified email gets it instead


def test_sms_outside_allowed_regions_falls_back_to_email(make_browser, clock):
    UserFactory(username="abroad", phone="+14155550100")
    make_browser().start("abroad", "sms")
    assert sms.outbox == []
    assert len(mail.outbox) == 1


def test_codes_are_stored_only_as_hashes(user, browser, clock):
    browser.start("zhang.wei")
    code = last_code()
    device = ContactCodeDevice.objects.get()
    assert device.token is None and code not in device.token_hash
    from messaging.models import OutboxMessage

    message = OutboxMessage.objects.get(kind="reset_code")
    assert code not in message.body_text  # wiped once sent (secret=True)
    assert not AuditEvent.objects.filter(data__icontains=code).exists()


def test_letters_in_the_code_do_not_count_as_a_try(user, browser, clock):
    browser.start("zhang.wei")
    response = browser.code("12a456")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Enter the 6 digits" in response.content.decode()
    assert ResetFlow.objects.get().failures == 0
    assert browser.get(VERIFY).status_code == HTTPStatus.OK


def test_one_client_address_meets_its_own_cap_whatever_it_types(make_browser, clock, settings):
    settings.RESET_IP_SENDS_PER_HOUR = 3
    answers = [make_browser().start(f"person{n}").status_code for n in range(4)]
    assert answers == [HTTPStatus.FOUND] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    other_network = make_browser()
    other_network.client.defaults["REMOTE_ADDR"] = "10.9.8.7"
    assert other_network.start("person9").status_code == HTTPStatus.FOUND
    clock.advance(hours=1)
    assert make_browser().start("person5").status_code == HTTPStatus.FOUND
