"""The ticket page speaks in sentences: the account timeline says what happened, from where and
with which browser ("5th wrong password at the site sign-in, from 10.1.1.1, Chrome 120 on
Windows, an unknown browser"), in the agent's language, with no ``key: value`` dumps."""

from __future__ import annotations

import re
from http import HTTPStatus

from tests.tickets.conftest import lock_account, new_ticket


def _timeline(page: str) -> str:
    start = page.index('class="tk-sentence"')
    return page[start : page.index("</table>", start)]


def test_the_account_timeline_reads_as_sentences(
    agent_client, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account(employee.username, ip="10.1.1.1")
    ticket = new_ticket(employee.username)
    response = agent_client.get(f"/admin/tickets/ticket/{ticket.pk}/change/")
    assert response.status_code == HTTPStatus.OK
    timeline = _timeline(response.content.decode())
    assert (
        "5th wrong password at the site sign-in, from 10.1.1.1, Chrome 120 on Windows, "
        "an unknown browser"
    ) in timeline
    assert "1st wrong password at the site sign-in" in timeline
    assert re.search(
        r"Account locked for \d+ minutes after 5 failures, until [\d: -]+ \(LK-", timeline
    )
    for dump in ("door:", "reason:", "failure:", "known_browser", "bad_password"):
        assert dump not in timeline, dump


def test_the_account_timeline_in_chinese(
    agent_client, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account(employee.username, ip="10.1.1.1")
    ticket = new_ticket(employee.username)
    response = agent_client.get(
        f"/admin/tickets/ticket/{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    timeline = _timeline(response.content.decode())
    assert (
        "在网站登录页第 5 次输错密码，来自 10.1.1.1，Windows 上的 Chrome 120，未知浏览器"
        in timeline
    )
    assert "wrong password" not in timeline and "unknown browser" not in timeline


def test_a_request_timeline_line_in_words():
    from django.utils import translation

    from tickets.templatetags.ticket_words import event_words

    data = {"channel": "email", "to": "z***@corp.example.cn", "verified": False}
    with translation.override("en"):
        assert event_words(data) == "by email, to z***@corp.example.cn, the caller was not verified"
        assert event_words({"unlocked": "expired"}) == "the lock ran out"
        assert event_words({"pass": 7, "sid": "x"}) == ""  # details it does not know: nothing
    with translation.override("zh-hans"):
        assert event_words(data) == "通过电子邮件，至 z***@corp.example.cn，来电人未核验"
