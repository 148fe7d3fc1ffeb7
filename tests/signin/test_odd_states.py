"""Sign-in in odd states: an account deleted while its lock is still running."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from audit.models import AuditEvent
from tests.factories import UserFactory
from tests.signin.conftest import browser, fail, post_login


@pytest.mark.django_db(transaction=True)  # the audit row's foreign key is checked at commit
def test_an_account_deleted_while_locked_is_refused_like_an_unknown_name(settings):
    doomed = UserFactory(username="leaving.soon")
    fail(browser(), "leaving.soon", settings.LOCKOUT_FAILURE_LIMIT)  # locked, copied to the cache
    doomed.delete()
    for typed in ("leaving.soon", " Leaving.Soon "):
        response = post_login(browser(), typed)
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert "LK-" in response.content.decode()
    refused = AuditEvent.objects.filter(event="signin.refused").latest("id")
    assert refused.user_id is None
