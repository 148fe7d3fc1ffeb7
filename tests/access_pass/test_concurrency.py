"""The same pass sent from several browsers at once on PostgreSQL: exactly one signs in."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from access_pass.models import AccessPass, PassState
from access_pass.services import pass_issue
from audit.models import AuditEvent
from tests.concurrency import at_once
from tests.factories import StaffFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_pass_used_in_parallel_signs_in_once():
    user = UserFactory(username="zhang.wei")
    agent = StaffFactory(username="agent.wang")
    secret = pass_issue(user=user, actor=agent).secret

    def job(i, start):
        client = Client(REMOTE_ADDR=f"10.3.0.{i + 1}")
        client.get("/accounts/pass/")
        start()
        response = client.post("/accounts/pass/", {"username": "zhang.wei", "access_pass": secret})
        return response.status_code

    codes = at_once(6, job)
    assert sorted(codes) == [HTTPStatus.OK] * 5 + [HTTPStatus.FOUND]
    row = AccessPass.objects.get()
    assert row.state == PassState.USED
    assert AuditEvent.objects.filter(event="access_pass.used").count() == 1
    assert AuditEvent.objects.filter(event="signin.succeeded").count() == 1
