"""The code page's advice fits the channel the code went by: a spam folder for email only, a
phone's signal for SMS (and the fall back to email only there), neither for a messenger."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tests.reset.conftest import VERIFY

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("channel", "said", "not_said"),
    [
        ("email", ["Check your spam folder"], ["signal", "If no text message can be sent"]),
        ("sms", ["phone has signal", "If no text message can be sent"], ["spam folder"]),
    ],
)
def test_the_code_page_advises_for_its_channel(browser, channel, said, not_said):
    UserFactory(username="zhang.wei")
    browser.start("zhang.wei", channel=channel)
    body = browser.get(VERIFY).content.decode()
    for words in said:
        assert words in body
    for words in not_said:
        assert words not in body
