"""The pieces that keep a sign-in's round trips few: the bookkeeping transaction (asynchronous
commit sent with the first statement; one message as its own transaction), several statements in
one message (``portal.db``), the session store that writes a sign-in's session row once
(``signin.sessions``) and the Redis cache's one-call ``incr`` (``portal.cache``)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import audit_build, audit_record
from portal.db import insert_statement, run_together, update_by_pk_statement
from signin import sessions
from signin.db import bookkeeping
from signin.models import Lock, Scope
from tests.signin.conftest import fail, post_login, sign_in

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


def test_a_bookkeeping_transaction_commits_asynchronously_and_a_callers_is_left_alone():
    with bookkeeping():
        assert _setting() == "off"
    assert _setting() == "on"  # SET LOCAL ended with the transaction
    with transaction.atomic(), bookkeeping():
        assert _setting() == "on"  # a caller's transaction is never changed


def test_a_bookkeeping_transaction_sends_set_local_with_its_first_statement():
    with CaptureQueriesContext(connection) as captured, bookkeeping():
        audit_record(event="test.first", subject="a")
        audit_record(event="test.second", subject="b")
    statements = [q["sql"] for q in captured.captured_queries]
    assert statements[0] == "BEGIN"
    assert statements[1].startswith('SET LOCAL synchronous_commit TO OFF; INSERT INTO "audit_')
    assert statements[2].startswith('INSERT INTO "audit_')  # once per transaction
    assert statements[3] == "COMMIT"


def test_one_message_alone_is_one_round_trip_and_all_or_nothing(user):
    first = audit_build(event="test.one", user=user, subject="one")
    clash = audit_build(event="test.two", user=user, subject="two")
    statements = [
        insert_statement(first),
        update_by_pk_statement(type(user), user.pk, first_name="Wei"),
        insert_statement(clash),
    ]
    clash.pk = audit_record(event="test.taken", subject="taken").pk
    statements[2] = insert_statement(clash)  # its id is taken: the third statement fails
    with (
        CaptureQueriesContext(connection) as captured,
        pytest.raises(IntegrityError),
        bookkeeping(alone=True),
    ):
        run_together(statements)
    assert len(captured.captured_queries) == 1
    assert not AuditEvent.objects.filter(event="test.one").exists()
    user.refresh_from_db()
    assert user.first_name != "Wei"


def test_run_together_returns_the_rows_of_the_last_statement(user):
    event = audit_build(event="test.returned", user=user, subject="x")
    ((pk,),) = run_together(
        [
            update_by_pk_statement(type(user), user.pk, first_name="Wei"),
            insert_statement(event, returning_pk=True),
        ]
    )
    assert AuditEvent.objects.get(pk=pk).event == "test.returned"
    user.refresh_from_db()
    assert user.first_name == "Wei"


def test_a_sign_in_writes_its_session_row_once_with_its_records(en, user):
    with CaptureQueriesContext(connection) as captured:
        assert sign_in(en, user.username).status_code == HTTPStatus.FOUND
    session_writes = [q["sql"] for q in captured.captured_queries if '"django_session"' in q["sql"]]
    assert len(session_writes) == 1 and "INSERT INTO" in session_writes[0]
    row = Session.objects.get(session_key=en.cookies["sessionid"].value)
    assert int(row.get_decoded()["_auth_user_id"]) == user.pk
    user.refresh_from_db()
    assert user.last_login is not None  # with the sign-in's other records, not on its own


def test_a_session_sent_with_other_writes_is_saved_again_only_when_it_changed():
    store = sessions.SessionStore()
    store.create()
    store["who"] = "me"
    statement = store.new_row_statement()
    run_together([statement])
    store.new_row_sent()
    with CaptureQueriesContext(connection) as captured:
        store.save()  # the end of the request: nothing new
    assert captured.captured_queries == []
    store["more"] = 1
    store.save()  # later in the same request: written
    assert Session.objects.get(session_key=store.session_key).get_decoded() == {
        "who": "me",
        "more": 1,
    }
    assert store.new_row_statement() is None  # the row exists: nothing to insert


def test_a_key_already_taken_is_drawn_again(monkeypatch):
    taken = sessions.SessionStore()
    taken["who"] = "someone else"
    taken.save()
    draws = iter([taken.session_key, "k" * 32])
    monkeypatch.setattr(sessions, "get_random_string", lambda *args: next(draws))
    store = sessions.SessionStore()
    store["who"] = "me"
    store.save()
    assert store.session_key == "k" * 32
    assert Session.objects.get(session_key=taken.session_key).get_decoded()["who"] == "someone else"
    assert Session.objects.get(session_key="k" * 32).get_decoded()["who"] == "me"


def test_a_session_deleted_meanwhile_is_not_brought_back(en, user):
    assert sign_in(en, user.username).status_code == HTTPStatus.FOUND
    store = sessions.SessionStore(en.cookies["sessionid"].value)
    assert int(store["_auth_user_id"]) == user.pk  # loaded, as at the start of a request
    Session.objects.all().delete()  # signed out everywhere, from another node
    store["x"] = 1
    with pytest.raises(sessions.UpdateError):
        store.save()
    assert not Session.objects.exists()


@pytest.mark.redis
def test_the_redis_cache_counts_an_existing_key_in_one_call_and_keeps_its_expiry():
    client = cache.client()
    assert cache.client() is client  # one client per pool, not one per call
    with pytest.raises(ValueError):
        cache.incr("test:missing")
    assert cache.get("test:missing") is None  # nothing was created
    cache.set("test:n", 5, timeout=100)
    assert cache.incr("test:n", 2) == 7
    assert cache.decr("test:n") == 6
    assert 0 < client.ttl(cache.make_and_validate_key("test:n")) <= 100


@pytest.mark.redis
def test_a_blocked_ip_refused_on_a_locked_name_costs_one_redis_call(en, settings, monkeypatch):
    settings.LOCKOUT_IP_FAILURE_LIMIT = 8
    client = en
    # The name locks at 5; the IP blocks at 8 (its count starts afresh), and its count passes 8
    # again while the block is on.
    fail(client, "nobody.here", 24)
    assert Lock.objects.filter(scope=Scope.IP).count() == 1
    calls = []
    original = redis.Redis.execute_command

    def counted(self, *args, **options):
        calls.append(args[0])
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counted)
    response = post_login(client, "nobody.here")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    limits_calls = [name for name in calls if name in ("EVAL", "EVALSHA")]
    assert len(limits_calls) == 1, calls  # the IP's count, its block read in the same call
    assert Lock.objects.filter(scope=Scope.IP).count() == 1
