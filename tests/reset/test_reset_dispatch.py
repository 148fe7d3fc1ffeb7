"""The worker side: idempotent dispatch, the sweep for tasks that never reached the broker."""

from __future__ import annotations

import pytest
from django.core import mail

from messaging.models import OutboxMessage
from reset.dispatch import reset_dispatch, reset_dispatch_sweep
from reset.models import ResetFlow

pytestmark = pytest.mark.django_db


def _start_without_dispatch(client, identifier="zhang.wei"):
    # Outside django_capture_on_commit_callbacks the test transaction never commits: the task is
    # never queued, as when the broker was down.
    client.post("/accounts/password/reset/", {"identifier": identifier, "channel": "email"})
    return ResetFlow.objects.get()


def test_a_redelivered_task_sends_nothing_more(user, client, clock):
    flow = _start_without_dispatch(client)
    assert flow.user is None and flow.typed == "zhang.wei"  # not looked up in the request
    assert reset_dispatch(flow_id=flow.pk, send_no=1) == "sent"
    assert reset_dispatch(flow_id=flow.pk, send_no=1) == "duplicate"
    assert OutboxMessage.objects.filter(kind="reset_code").count() == 1
    flow.refresh_from_db()
    assert flow.user == user and flow.typed == ""  # what was typed is not kept


def test_an_unknown_name_is_looked_up_in_the_worker_and_sends_nothing(client, clock):
    flow = _start_without_dispatch(client, "nobody.here")
    assert reset_dispatch(flow_id=flow.pk, send_no=1) == "no_account"
    assert not OutboxMessage.objects.exists()


def test_a_superseded_task_sends_nothing(user, client, clock):
    flow = _start_without_dispatch(client)
    flow.sends = 2
    flow.save()
    assert reset_dispatch(flow_id=flow.pk, send_no=1) == "superseded"


def test_the_sweep_sends_codes_whose_task_was_lost(
    user, client, clock, django_capture_on_commit_callbacks
):
    _start_without_dispatch(client)
    assert reset_dispatch_sweep() == 0  # too fresh: its task may still be on the way
    clock.advance(seconds=31)
    with django_capture_on_commit_callbacks(execute=True):
        assert reset_dispatch_sweep() == 1
    assert len(mail.outbox) == 1
    clock.advance(seconds=31)
    assert reset_dispatch_sweep() == 0
