"""A wrong code does the same work for a real account as for an unknown name, so its timing tells
nothing (bench/bench_reset.py measures it; these tests keep it true without timing anything): the
same SQL statements (tables, verbs, locks, in order; only the literals differ) and the same model
instances built in Python (a ``User`` built from its row, phone number parsed, made a real
account's wrong code ~0.3 ms slower)."""

from __future__ import annotations

from collections import Counter
from http import HTTPStatus

import pytest
from django.db import connection
from django.db.models.signals import post_init
from django.test.utils import CaptureQueriesContext

from accounts.models import ContactCodeDevice
from audit.models import AuditEvent
from reset.models import ResetFlow
from tests.factories import UserFactory
from tests.sql_shape import shape

pytestmark = pytest.mark.django_db


def wrong_code_work(make_browser, identifier: str) -> tuple[list[str], Counter]:
    browser = make_browser()
    browser.start(identifier)
    browser.code("000000")  # the first wrong code: warm whatever a first request fills
    built: Counter = Counter()

    def count(sender, **kwargs):
        built[sender.__name__] += 1

    post_init.connect(count)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = browser.code("000001")
    finally:
        post_init.disconnect(count)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    return [shape(q["sql"]) for q in queries.captured_queries], built


@pytest.fixture
def real(db):
    return UserFactory(username="real.person", phone="+8613800138001")


def test_a_wrong_code_runs_the_same_statements_for_a_real_and_an_unknown_account(
    real, make_browser, clock
):
    real_sql, _ = wrong_code_work(make_browser, "real.person")
    unknown_sql, _ = wrong_code_work(make_browser, "nobody.here")

    assert real_sql == unknown_sql
    # The test sees the work that matters: the flow locked (NO KEY UPDATE, which a code device
    # being written for the flow does not block), the device looked for without a lock (a
    # device the worker is writing must not make the answer wait), the try counted on the flow
    # row, one audit row.
    joined = "\n".join(real_sql)
    assert 'FROM "accounts_resetflow"' in joined
    if connection.features.has_select_for_update:
        assert joined.count("FOR NO KEY UPDATE") == 1
        assert joined.count("FOR UPDATE") == 0
    assert 'FROM "accounts_contactcodedevice"' in joined
    assert 'UPDATE "accounts_resetflow"' in joined
    assert sum(s.startswith('INSERT INTO "audit_auditevent"') for s in real_sql) == 1
    # ... and the rules still hold: the real flow has a device, the audit row names its account.
    flows = {f.user_id: f for f in ResetFlow.objects.all()}
    assert ContactCodeDevice.objects.filter(flow=flows[real.pk].pk).exists()
    assert not ContactCodeDevice.objects.filter(flow=flows[None].pk).exists()
    failed = AuditEvent.objects.filter(event="reset.code_failed")
    assert failed.filter(user=real).count() == 2
    assert failed.filter(user=None).count() == 2
    assert all(f.failures == 2 for f in flows.values())


def test_a_wrong_code_builds_the_same_objects_for_a_real_and_an_unknown_account(
    real, make_browser, clock
):
    _, real_built = wrong_code_work(make_browser, "real.person")
    _, unknown_built = wrong_code_work(make_browser, "nobody.here")

    assert real_built == unknown_built
    assert real_built["ContactCodeDevice"] == 1  # the real device, or one that holds no code


@pytest.mark.parametrize("identifier", ["left.company", "no.contact"])
def test_a_wrong_code_runs_the_same_statements_for_odd_accounts(
    identifier, real, make_browser, clock
):
    UserFactory(username="left.company", is_active=False)
    UserFactory(username="no.contact", email_verified_at=None, phone_verified_at=None)

    assert wrong_code_work(make_browser, identifier) == wrong_code_work(make_browser, "nobody.here")
