"""Fixtures of the reset journey's tests: run the flow through the real pages, read the code
from the real outbox (locmem email / locmem SMS), after commit."""

from __future__ import annotations

import pytest
from django.test import Client

# Each test starts with empty outboxes (the autouse fixture), and reads its code from them.
from tests.accounts.conftest import _empty_outboxes, last_code  # noqa: F401

START = "/accounts/password/reset/"
VERIFY = "/accounts/password/reset/verify/"
SECOND = "/accounts/password/reset/verify/second-step/"
NEW = "/accounts/password/reset/new/"
NEW_PASSWORD = "a long new passphrase for the portal"


class ResetBrowser:
    """One browser going through the reset pages; every post runs its on-commit tasks."""

    def __init__(self, capture, client: Client | None = None):
        self.client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
        self._capture = capture

    def post(self, url: str, data: dict):
        with self._capture(execute=True):
            return self.client.post(url, data)

    def get(self, url: str):
        return self.client.get(url)

    def start(self, identifier: str, channel: str = "email"):
        return self.post(START, {"identifier": identifier, "channel": channel})

    def code(self, code: str):
        return self.post(VERIFY, {"code": code, "action": "verify"})

    def resend(self, action: str = "resend"):
        return self.post(VERIFY, {"action": action})

    def second(self, token: str):
        return self.post(SECOND, {"otp_token": token})

    def new_password(self, password: str = NEW_PASSWORD, again: str | None = None):
        return self.post(NEW, {"new_password1": password, "new_password2": again or password})


@pytest.fixture
def browser(django_capture_on_commit_callbacks):
    return ResetBrowser(django_capture_on_commit_callbacks)


@pytest.fixture
def make_browser(django_capture_on_commit_callbacks):
    return lambda: ResetBrowser(django_capture_on_commit_callbacks)
