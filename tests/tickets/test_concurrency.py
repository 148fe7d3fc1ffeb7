"""Parallel submissions on PostgreSQL: a double click files one request; parallel requests get
distinct references."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.db import connection
from django.test import Client

from tests.factories import UserFactory
from tests.tickets.conftest import form_data, form_nonce
from tickets.models import Ticket

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _parallel(calls) -> list:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _twin(client: Client) -> Client:
    other = Client()
    other.cookies = client.cookies  # the same browser: same session, same form
    return other


def test_a_double_click_in_parallel_files_one_request():
    UserFactory(username="zhang.wei")
    browser = Client()
    nonce = form_nonce(browser)
    clicks = [browser, _twin(browser), _twin(browser)]
    responses = _parallel(
        [lambda c=c: c.post("/tickets/unlock/", form_data(nonce)) for c in clicks]
    )
    assert {r.status_code for r in responses} == {HTTPStatus.FOUND}
    assert len({r["Location"] for r in responses}) == 1
    assert Ticket.objects.count() == 1


def test_parallel_requests_get_distinct_references():
    browsers = [Client(REMOTE_ADDR=f"10.0.0.{n}") for n in range(1, 7)]
    nonces = [form_nonce(b) for b in browsers]
    responses = _parallel(
        [
            lambda b=b, n=n, i=i: b.post("/tickets/unlock/", form_data(n, username=f"user{i}"))
            for i, (b, n) in enumerate(zip(browsers, nonces, strict=True))
        ]
    )
    assert {r.status_code for r in responses} == {HTTPStatus.FOUND}
    references = list(Ticket.objects.values_list("reference", flat=True))
    assert len(references) == len(set(references)) == 6
