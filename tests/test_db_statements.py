"""The SQL the sign-in writes by hand (``portal.db``'s statements, the counters' ``UPDATE``s in
``signin.lockout``) against what the ORM writes for the same change, on whichever database the
run uses (SQLite in a plain ``make test``, PostgreSQL in CI), and the Django version all of it
was checked against."""

from __future__ import annotations

from datetime import timedelta

import django
import pytest
from django.contrib.sessions.models import Session
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEvent
from audit.services import audit_build
from portal.db import insert_statement, run_together, update_by_pk_statement
from signin import conf
from signin.identity import Identity
from signin.lockout import _count_at_once, counter_reset_statement
from signin.models import FailureCounter, Scope, UserSession
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_hand_written_sql_was_checked_against_this_django():
    assert django.VERSION[:2] == (5, 2), (
        "Django's major version changed: re-check what portal.db writes by hand against "
        "Model.save() and QuerySet.update() (local_concrete_fields, pre_save, get_db_prep_save, "
        "ON CONFLICT ... DO UPDATE as bulk_create(update_conflicts=True), RETURNING), "
        "signin.lockout's COUNT_SQL and COUNTER_RESET_SQL, signin.typed_counter's upsert, "
        "signin.sessions' store against django.contrib.sessions.backends.db, signin.apps' "
        "last_login receiver against django.contrib.auth.models.update_last_login, then the "
        "tests in this file, tests/signin/test_round_trips.py and test_query_budget.py"
    )


def _row(model, pk, *left_out: str) -> dict:
    row = model.objects.filter(pk=pk).values().get()
    return {name: value for name, value in row.items() if name not in {"id", *left_out}}


def _copy(obj):
    opts = obj._meta
    return type(obj)(**{f.attname: getattr(obj, f.attname) for f in opts.concrete_fields})


def test_an_insert_statement_writes_what_save_writes():
    user = UserFactory()
    event = audit_build(
        event="test.compared",
        user=user,
        subject="张伟",
        ip="203.0.113.9",
        ua="Firefox",
        data={"k": [1, "二"], "none": None},
    )
    sent = _copy(event)
    event.save(force_insert=True)
    ((pk,),) = run_together([insert_statement(sent, returning_pk=True)])
    assert pk != event.pk
    assert _row(AuditEvent, pk) == _row(AuditEvent, event.pk)


def test_an_insert_of_a_model_keyed_by_text_writes_what_save_writes():
    expires = timezone.now() + timedelta(days=1)
    saved = Session(session_key="a" * 32, session_data="payload", expire_date=expires)
    sent = Session(session_key="b" * 32, session_data="payload", expire_date=expires)
    saved.save(force_insert=True)
    run_together([insert_statement(sent)])
    assert _row(Session, "b" * 32, "session_key") == _row(Session, "a" * 32, "session_key")


def _record(user: User, key: str, **changed) -> UserSession:
    now = timezone.now().replace(microsecond=0)
    values = {"created_at": now, "last_seen_at": now, "ip": "198.51.100.7", "user_agent": "Edge"}
    return UserSession(user=user, session_key=key, **(values | changed))


def test_an_insert_on_conflict_writes_what_bulk_create_update_conflicts_writes():
    user, other = UserFactory(), UserFactory()
    overwritten = ["user", "created_at", "last_seen_at", "ip", "user_agent", "known_browser"]
    for key in ("orm", "hand"):
        _record(other, key).save()
    later = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    changed = {"created_at": later, "last_seen_at": later, "ip": "2001:db8::1", "known_browser": 1}
    UserSession.objects.bulk_create(
        [_record(user, "orm", **changed)],
        update_conflicts=True,
        unique_fields=["session_key"],
        update_fields=overwritten,
    )
    run_together(
        [
            insert_statement(
                _record(user, "hand", **changed),
                unique_fields=["session_key"],
                update_fields=overwritten,
            )
        ]
    )
    orm = UserSession.objects.get(session_key="orm")
    hand = UserSession.objects.get(session_key="hand")
    assert _row(UserSession, hand.pk, "session_key") == _row(UserSession, orm.pk, "session_key")
    assert hand.user == user and hand.ip == "2001:db8::1"
    run_together([insert_statement(_record(user, "new"))])  # no conflict: a row of its own
    assert UserSession.objects.filter(session_key="new", user=user).exists()


def test_an_update_by_pk_statement_writes_what_update_writes():
    orm, hand, untouched = UserFactory(), UserFactory(), UserFactory()
    now = timezone.now()
    values = {"last_login": now, "first_name": "伟", "is_active": False}
    User.objects.filter(pk=orm.pk).update(**values)
    run_together([update_by_pk_statement(User, hand.pk, **values)])
    changed = ["last_login", "first_name", "is_active"]
    assert User.objects.filter(pk=hand.pk).values(*changed).get() == (
        User.objects.filter(pk=orm.pk).values(*changed).get()
    )
    untouched.refresh_from_db()
    assert untouched.last_login is None and untouched.is_active


def test_statements_run_together_keep_their_order_and_return_the_last_ones_rows():
    user = UserFactory()
    event = audit_build(event="test.last", user=user, subject="x")
    ((pk,),) = run_together(
        [
            update_by_pk_statement(User, user.pk, first_name="Wei"),
            insert_statement(event, returning_pk=True),
        ]
    )
    assert AuditEvent.objects.get(pk=pk).event == "test.last"
    assert User.objects.get(pk=user.pk).first_name == "Wei"


def test_an_insert_statement_refuses_what_it_cannot_write():
    event = audit_build(event="test.refused", subject="x")
    event.subject = F("event")
    with pytest.raises(TypeError):
        insert_statement(event)


COUNTERS = {
    "recent": {"failures": 2, "minutes_ago": 1, "window": True},
    "stale": {"failures": 3, "minutes_ago": 60 * 24, "window": True},
    "at_limit": {"failures": 5, "minutes_ago": 1, "window": True},
    "no_window": {"failures": 1, "minutes_ago": 1, "window": False},
    "zero": {"failures": 0, "minutes_ago": None, "window": False},
    "locked": {"failures": 5, "minutes_ago": 1, "window": True, "locked": True},
}


def _counter(key: str, now, *, failures, minutes_ago, window, locked=False) -> FailureCounter:
    last = now - timedelta(minutes=minutes_ago) if minutes_ago is not None else None
    return FailureCounter.objects.create(
        scope=Scope.ACCOUNT,
        key=key,
        failures=failures,
        last_failure_at=last,
        window_started_at=last - timedelta(minutes=1) if window and last else None,
        locked_until=now + timedelta(minutes=15) if locked else None,
    )


def _pairs(now):
    for name, shape in COUNTERS.items():
        yield name, _counter(f"orm.{name}", now, **shape), _counter(f"hand.{name}", now, **shape)


def test_the_counting_update_counts_as_the_orms_update(settings):
    now = timezone.now()
    stale = now - conf.cooloff()
    for name, orm, hand in _pairs(now):
        updated = (
            FailureCounter.objects.filter(pk=orm.pk, locked_until__isnull=True)
            .filter(
                Q(failures__lt=conf.failure_limit()) | Q(failures__gt=0, last_failure_at__lte=stale)
            )
            .update(
                failures=Case(
                    When(failures__gt=0, last_failure_at__lte=stale, then=Value(1)),
                    default=F("failures") + 1,
                ),
                window_started_at=Case(
                    When(
                        Q(failures=0)
                        | Q(window_started_at__isnull=True)
                        | Q(last_failure_at__lte=stale),
                        then=Value(now),
                    ),
                    default=F("window_started_at"),
                ),
                last_failure_at=now,
            )
        )
        identity = Identity(key=hand.key, typed=hand.key, user=None, typed_key=hand.key)
        counted = _count_at_once(identity=identity, scope=Scope.ACCOUNT, browser="", now=now)
        assert (counted is not None) == bool(updated), name
        assert _row(FailureCounter, hand.pk, "key") == _row(FailureCounter, orm.pk, "key"), name
        if counted is not None:
            assert counted == FailureCounter.objects.get(pk=orm.pk).failures, name


def test_the_counter_reset_resets_as_the_orms_update():
    now = timezone.now()
    for name, orm, hand in _pairs(now):
        FailureCounter.objects.filter(pk=orm.pk, locked_until__isnull=True, failures__gt=0).update(
            failures=0, window_started_at=None
        )
        identity = Identity(key=hand.key, typed=hand.key, user=None, typed_key=hand.key)
        run_together([counter_reset_statement(identity=identity)])
        assert _row(FailureCounter, hand.pk, "key") == _row(FailureCounter, orm.pk, "key"), name


def test_the_lookups_second_step_tells_what_the_orms_exists_tells():
    from django.db.models import Exists, OuterRef
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.selectors import user_find_by_identifier

    plain, totp, backup, unconfirmed = (UserFactory() for _ in range(4))
    TOTPDevice.objects.create(user=totp, name="phone", confirmed=True)
    StaticDevice.objects.create(user=backup, name="backup", confirmed=True)
    TOTPDevice.objects.create(user=unconfirmed, name="phone", confirmed=False)
    orm = User.objects.annotate(
        has=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
        | Exists(StaticDevice.objects.filter(user=OuterRef("pk"), confirmed=True))
    )
    for user in (plain, totp, backup, unconfirmed):
        found = user_find_by_identifier(identifier=user.username, with_second_step=True)
        assert found.has_second_step == orm.get(pk=user.pk).has, user.username
    assert [totp.pk, backup.pk] == sorted(u.pk for u in orm.filter(has=True))
