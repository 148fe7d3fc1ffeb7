"""Twenty wrong codes from strangers pause self-service reset for the account, but not for its
owner: a browser the account signed in from (a known browser) can still reset, as it can still
sign in. The pause's message offers the unlock request."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from reset.models import ResetBlock
from tests.reset.conftest import ResetBrowser, last_code
from tests.signin.conftest import sign_in

pytestmark = pytest.mark.django_db


def _pause(make_browser, clock, identifier="zhang.wei"):
    for _round in range(4):
        stranger = make_browser()
        stranger.start(identifier)
        for _ in range(5):
            stranger.code("000000")
        clock.advance(minutes=13)
    assert ResetBlock.objects.filter(key__startswith="account:").exists()
    assert ResetBlock.objects.filter(key__startswith="typed:").exists()


@pytest.fixture
def owner(user, django_capture_on_commit_callbacks):
    """The owner's browser: it signed in once, then signed out."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert sign_in(client, "zhang.wei").status_code == HTTPStatus.FOUND
    client.post("/accounts/logout/")
    return ResetBrowser(django_capture_on_commit_callbacks, client)


def test_strangers_wrong_codes_do_not_take_reset_away_from_the_owners_browser(
    user, owner, make_browser, clock
):
    _pause(make_browser, clock)
    mail.outbox = []

    assert owner.start("zhang.wei").status_code == HTTPStatus.FOUND
    assert mail.outbox, "the owner's known browser gets its code despite the pause"
    assert owner.code(last_code()).status_code == HTTPStatus.FOUND
    assert owner.new_password().status_code == HTTPStatus.FOUND
    assert user.__class__.objects.get(pk=user.pk).check_password(
        "a long new passphrase for the portal"
    )


def test_a_stranger_meets_the_pause_and_is_offered_the_unlock_request(user, make_browser, clock):
    _pause(make_browser, clock)
    mail.outbox = []

    page = make_browser().start("zhang.wei")

    assert page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert not mail.outbox
    assert 'href="/tickets/unlock/' in page.content.decode()


def test_an_unknown_name_meets_the_same_pause_and_the_same_offer(make_browser, clock):
    for _round in range(4):
        stranger = make_browser()
        stranger.start("nobody.here")
        for _ in range(5):
            stranger.code("000000")
        clock.advance(minutes=13)

    page = make_browser().start("nobody.here")

    assert page.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 'href="/tickets/unlock/' in page.content.decode()
