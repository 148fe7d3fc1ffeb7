"""``last_login``: Django's receiver sets it for every login but a sign-in, whose records write it
in the same message as the rest (``signin.apps``)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.signin.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_a_login_that_is_no_sign_in_sets_last_login_as_django_does(client, user):
    assert user.last_login is None
    client.force_login(user)
    user.refresh_from_db()
    assert user.last_login is not None


def test_a_sign_in_sets_last_login_with_its_records_not_in_a_statement_of_its_own(en, user):
    with CaptureQueriesContext(connection) as captured:
        assert sign_in(en, user.username).status_code == HTTPStatus.FOUND
    user.refresh_from_db()
    assert user.last_login is not None
    updates = [q["sql"] for q in captured.captured_queries if 'UPDATE "accounts_user"' in q["sql"]]
    assert len(updates) == 1
    if connection.vendor == "postgresql":  # one message with the other records
        assert 'INSERT INTO "audit_auditevent"' in updates[0]
