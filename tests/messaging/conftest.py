"""Fixtures of the messaging tests."""

from __future__ import annotations

import pytest

from messaging import sms


@pytest.fixture
def sms_outbox():
    return sms.outbox


@pytest.fixture
def deliver_on_commit(django_capture_on_commit_callbacks):
    """Run the after-commit callbacks (the eager delivery task) at the end of the block."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def english():
    """Error sentences are lazily translated: read them in English."""
    from django.utils import translation

    with translation.override("en"):
        yield
