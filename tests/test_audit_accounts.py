"""An audit row's account and actor are kept by Django, not checked by the database: inserting a
row about a real account costs the database what a row about an unknown name costs (no
foreign-key lookup), and deleting an account still empties its rows' references."""

from __future__ import annotations

import pytest
from django.db import connection

from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _foreign_keys_to_users() -> list[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, AuditEvent._meta.db_table)
    return [
        name
        for name, constraint in constraints.items()
        if constraint["foreign_key"] and constraint["foreign_key"][0] == "accounts_user"
    ]


def test_the_database_checks_no_account_of_an_audit_row():
    assert _foreign_keys_to_users() == []


def test_deleting_an_account_empties_its_audit_rows_references():
    user, agent = UserFactory(), UserFactory(username="agent")
    audit_record(event="signin.failed", user=user, subject=user.username)
    audit_record(event="ticket.unlocked", user=agent, actor=user, subject="agent")
    user.delete()
    rows = AuditEvent.objects.order_by("id")
    assert [(row.user_id, row.actor_id) for row in rows] == [(None, None), (agent.pk, None)]
