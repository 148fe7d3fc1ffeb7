"""Query budgets: what a sign-in and an attempt while locked cost the database, beyond the hash.
Round trips are what cost, so each message to PostgreSQL counts as one query here, whatever it
holds (``BEGIN``, ``COMMIT`` and savepoints count too).

A sign-in from a known browser: the account lookup (which also tells whether a second step is
due), the count (one statement, its own transaction), and one message with the counter reset,
``last_login``, the session record, the new session's row and the audit row (its own
transaction). An attempt while the account is locked: the lock found by what was typed
(``signin.refusals``), then the refusal's audit row, as every refusal's, its own transaction.
"""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus

import pytest

from audit.models import AuditEvent
from signin.models import Lock
from tests.signin.conftest import fail, post_login, sign_in

# Outermost transactions and PostgreSQL, as in production (the one-message writes are its own).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


def test_a_sign_in_from_a_known_browser_stays_within_its_query_budget(
    en, user, django_assert_max_num_queries
):
    for _ in range(2):  # the browser becomes known, then its own counter row exists
        sign_in(en, user.username)
        en.post("/accounts/logout/")
    # The account lookup, the counting UPDATE, and the sign-in's records with the session row in
    # one message.
    with django_assert_max_num_queries(3):
        response = sign_in(en, user.username)
    assert response.status_code == HTTPStatus.FOUND
    assert int(en.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize("typed", ["zhang.wei", " Zhang.Wei ", "nobody.here"])
def test_an_attempt_while_locked_is_refused_and_audited_in_two_statements(
    en, user, typed, django_assert_max_num_queries
):
    fail(en, typed, 5)
    refused_before = AuditEvent.objects.filter(event="signin.refused").count()
    # The lock's row read by what was typed, then the refusal's audit row (refusal_record).
    with django_assert_max_num_queries(2) as captured:
        response = post_login(en, typed)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    lock_read, audited = [q["sql"] for q in captured.captured_queries]
    assert '"signin_lock"' in lock_read and "INSERT" not in lock_read
    assert audited.startswith('SET LOCAL synchronous_commit TO OFF; INSERT INTO "audit_auditevent"')
    event = AuditEvent.objects.filter(event="signin.refused").latest("id")
    assert AuditEvent.objects.filter(event="signin.refused").count() == refused_before + 1
    assert event.subject == typed.strip()
    lock = Lock.objects.get(reference=event.data["reference"])
    assert event.data["scope"] == "account" and event.data["door"] == "site"
    assert datetime.fromisoformat(event.data["locked_until"]) == lock.locked_until
    assert event.ip == "127.0.0.1" and event.actor_id is None
    assert event.user_id == (user.pk if typed != "nobody.here" else None)


def test_a_cleared_lock_is_not_refused_quickly(en, user):
    from signin.unlock import lock_clear

    fail(en, user.username, 5)
    assert post_login(en, user.username).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert lock_clear(username=user.username, how="reset")
    assert sign_in(en, user.username).status_code == HTTPStatus.FOUND
