"""The quick refusal (``signin.refusals``) finds a lock through indexes, whatever was typed.

Every attempt from a browser without a known-browser cookie runs it first, so a sequential scan
of the lock table (which keeps 90 days of locks) would make every such attempt cost grow with
it. The plan is read with sequential scans priced out, so a small test table cannot hide a
missing index.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from signin.models import Lock
from tests.signin.conftest import fail, post_login

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_the_quick_refusal_reads_the_lock_table_through_its_indexes(en, user):
    fail(en, user.email, 5)
    with CaptureQueriesContext(connection) as captured:
        post_login(en, user.email)
    (query,) = [q["sql"] for q in captured.captured_queries if 'FROM "signin_lock"' in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan TO off")
        cursor.execute("EXPLAIN " + query)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on signin_lock" not in plan, plan
    assert "typed_key" in plan and Lock.objects.get().typed_key == user.email.lower()
