"""Query budgets: what a sign-in and an attempt while locked cost the database, beyond the hash.

A sign-in from a known browser: account lookup, the one-statement count, the second-step device
query, Django's new session row (key check + insert) and ``last_login``, our counter reset,
audit row and session record, and the session save at the end of the response. An attempt while
the account is locked (its lock copied to the shared cache): the refusal's audit row only.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest

from audit.models import AuditEvent
from tests.signin.conftest import fail, post_login, sign_in

pytestmark = pytest.mark.django_db(transaction=True)  # outermost transactions, as in production


def test_a_sign_in_from_a_known_browser_stays_within_its_query_budget(
    en, user, django_assert_max_num_queries
):
    for _ in range(2):  # the browser becomes known, then its own counter row exists
        sign_in(en, user.username)
        en.post("/accounts/logout/")
    # BEGIN/COMMIT/SET and savepoints count as queries. Before: 28 (the session record took 8
    # statements, now 1; the count took a row lock and an update, now one UPDATE).
    with django_assert_max_num_queries(22):
        response = sign_in(en, user.username)
    assert response.status_code == HTTPStatus.FOUND
    assert int(en.session["_auth_user_id"]) == user.pk


@pytest.mark.parametrize("typed", ["zhang.wei", " Zhang.Wei ", "nobody.here"])
def test_an_attempt_while_locked_writes_its_audit_row_and_reads_nothing(
    en, user, typed, django_assert_max_num_queries
):
    fail(en, typed, 5)
    refused_before = AuditEvent.objects.filter(event="signin.refused").count()
    # Before: account lookup, counter row lock, audit row, in a transaction.
    with django_assert_max_num_queries(4) as captured:
        response = post_login(en, typed)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    statements = [q["sql"] for q in captured.captured_queries if not _transaction_control(q["sql"])]
    assert len(statements) == 1 and statements[0].startswith('INSERT INTO "audit_auditevent"')
    event = AuditEvent.objects.filter(event="signin.refused").latest("id")
    assert AuditEvent.objects.filter(event="signin.refused").count() == refused_before + 1
    assert event.subject == typed.strip()
    assert event.data["reference"].startswith("LK-") and event.data["scope"] == "account"
    assert event.user_id == (user.pk if typed != "nobody.here" else None)


def test_a_cleared_lock_is_not_refused_from_the_cache(en, user):
    from signin.services import lock_clear

    fail(en, user.username, 5)
    assert post_login(en, user.username).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert lock_clear(username=user.username, how="reset")
    assert sign_in(en, user.username).status_code == HTTPStatus.FOUND


def _transaction_control(sql: str) -> bool:
    return sql.split()[0].upper() in {"BEGIN", "COMMIT", "SET", "SAVEPOINT", "RELEASE"}
