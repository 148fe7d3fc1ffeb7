"""The account lookup behind every sign-in and reset uses indexes, whatever was typed.

Each alternative (username, email, phone) must be an index lookup: a sequential scan would make
every sign-in cost grow with the number of employees. The plan is read with sequential scans
priced out, so a small test table cannot hide a missing index.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.selectors import user_find_by_identifier
from tests.factories import UserFactory

pytestmark = pytest.mark.postgres


def _plan_of_lookup(typed: str, *, with_second_step: bool = False) -> str:
    with CaptureQueriesContext(connection) as captured:
        user_find_by_identifier(identifier=typed, with_second_step=with_second_step)
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan TO off")
        cursor.execute("EXPLAIN " + query["sql"])
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("typed", "indexes"),
    [
        ("Zhang.Wei", ["user_username_ci_unique", "user_email_ci_unique"]),
        ("zhang.wei@corp.example.cn", ["user_username_ci_unique", "user_email_ci_unique"]),
        ("+86 138 0013 8000", ["user_username_ci_unique", "user_email_ci_unique", "user_phone"]),
    ],
)
def test_each_way_to_name_an_account_is_an_index_lookup(db, typed, indexes):
    UserFactory(username="zhang.wei", email="zhang.wei@corp.example.cn", phone="+8613800138000")
    plan = _plan_of_lookup(typed, with_second_step=True)
    assert "Seq Scan on accounts_user" not in plan, plan
    for index in indexes:
        assert index in plan, plan


def test_the_lookup_still_matches_case_and_spaces_insensitively(db):
    user = UserFactory(username="zhang.wei", email="Zhang.Wei@Corp.example.cn")
    assert user_find_by_identifier(identifier="  ZHANG.wei ") == user
    assert user_find_by_identifier(identifier="zhang.wei@corp.EXAMPLE.cn") == user
    found = user_find_by_identifier(identifier="zhang.wei", with_second_step=True)
    assert found == user and found.has_second_step is False
