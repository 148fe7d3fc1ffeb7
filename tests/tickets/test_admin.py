"""The agents' side in the admin: the queue (constant queries at any size), the ticket page with
the account timeline, the action buttons, and what agents may not do (403)."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory
from tests.tickets.conftest import admin_client_for, lock_account, new_ticket
from tests.tickets.factories import TicketFactory
from tickets.models import Ticket, TicketStatus

QUEUE = "/admin/tickets/ticket/"
S = TicketStatus


def _bulk(n: int, users: list, assignee=None) -> None:
    now = timezone.now()
    rows = []
    for i in range(n):
        user = users[i % len(users)] if users else None
        created = now - timedelta(minutes=i)
        rows.append(
            TicketFactory.build(
                user=user,
                username=user.username if user else f"ghost{i}",
                reference=f"UNL-2026-{i + 1:06d}",
                created_at=created,
                status=[S.NEW, S.IN_PROGRESS, S.WAITING, S.RESOLVED][i % 4],
                assignee=assignee if i % 3 == 0 else None,
                due_at=None if i % 4 >= 2 else created + timedelta(minutes=30 - i % 60),
            )
        )
    Ticket.objects.bulk_create(rows, batch_size=500)


def _rows(response) -> list[str]:
    return [
        t.reference
        for t in response.context["cl"].result_list  # what the page lists
    ]


# --- The queue --------------------------------------------------------------------------------
@pytest.mark.parametrize("count", [10, 1000])
def test_queue_query_count_does_not_grow_with_the_tickets(
    agent_client, agent, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    users = [UserFactory() for _ in range(5)] + [StaffFactory()]
    with django_capture_on_commit_callbacks(execute=True):
        lock_account(users[0].username)
    _bulk(count, [*users, None], assignee=agent)
    agent_client.get(QUEUE)  # warm the notice banner cache
    # session, user, OTP device, the agent's permissions (2), the agents for the assignee
    # filter, the bounded count, and the page's rows with account, assignee and lock state
    with django_assert_num_queries(8):
        response = agent_client.get(QUEUE)
    assert response.status_code == HTTPStatus.OK
    assert len(_rows(response)) == min(50, count * 3 // 4 + 1)  # open ones, one page
    page = response.content.decode()
    assert "tk-lock-yes" in page  # the locked account shows as locked
    with django_assert_num_queries(8):
        agent_client.get(QUEUE + "?status=all&locked=yes&sla=breached&assignee=me&q=employee")


def test_queue_shows_open_requests_first_by_deadline(agent_client, agent, clock):
    late = new_ticket("late.one")
    clock.advance(minutes=10)
    soon = new_ticket("soon.one")
    clock.advance(minutes=10)
    closed = new_ticket("closed.one")
    from tickets.services import ticket_resolve

    ticket_resolve(ticket=closed, agent=agent)
    rows = _rows(agent_client.get(QUEUE))
    assert rows == [late.reference, soon.reference]
    assert closed.reference in _rows(agent_client.get(QUEUE + "?status=all"))
    assert _rows(agent_client.get(QUEUE + "?status=resolved")) == [closed.reference]


def test_sla_near_and_breached_are_highlighted_and_filterable(agent_client, clock, db):
    ticket = new_ticket("slow.one")  # first response due 09:30
    clock.advance(minutes=20)
    page = agent_client.get(QUEUE).content.decode()
    assert "tk-sla-near" in page
    assert _rows(agent_client.get(QUEUE + "?sla=near")) == [ticket.reference]
    clock.advance(minutes=15)
    page = agent_client.get(QUEUE).content.decode()
    assert "tk-sla-breached" in page
    assert _rows(agent_client.get(QUEUE + "?sla=breached")) == [ticket.reference]
    assert _rows(agent_client.get(QUEUE + "?sla=ok")) == []


def test_filters_assignee_and_locked_now(
    agent_client, agent, agent2, employee, django_capture_on_commit_callbacks
):
    from tickets.services import ticket_claim

    mine, theirs, nobody = new_ticket("zhang.wei"), new_ticket("a.b"), new_ticket("c.d")
    ticket_claim(ticket=mine, agent=agent)
    ticket_claim(ticket=theirs, agent=agent2)
    assert _rows(agent_client.get(QUEUE + "?assignee=me")) == [mine.reference]
    assert _rows(agent_client.get(QUEUE + "?assignee=none")) == [nobody.reference]
    assert _rows(agent_client.get(QUEUE + f"?assignee={agent2.pk}")) == [theirs.reference]
    assert _rows(agent_client.get(QUEUE + "?locked=yes")) == []
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    assert _rows(agent_client.get(QUEUE + "?locked=yes")) == [mine.reference]
    assert sorted(_rows(agent_client.get(QUEUE + "?locked=no"))) == sorted(
        [theirs.reference, nobody.reference]
    )


@pytest.mark.parametrize("value", ["²", "١", "9" * 30])
def test_an_assignee_filter_of_odd_digits_is_ignored_not_a_500(agent_client, employee, value):
    """``"²".isdigit()`` is true but ``int("²")`` fails: the filter takes ASCII digits only."""
    ticket = new_ticket("zhang.wei")
    response = agent_client.get(QUEUE, {"assignee": value})
    assert response.status_code == HTTPStatus.OK
    assert _rows(response) in ([], [ticket.reference])


def test_search_by_reference_username_email_and_lock_reference(
    agent_client, employee, django_capture_on_commit_callbacks
):
    from signin.selectors import lock_status

    ticket, other = new_ticket("zhang.wei"), new_ticket("li.na")
    assert _rows(agent_client.get(QUEUE + f"?q={ticket.reference.lower()}")) == [ticket.reference]
    assert _rows(agent_client.get(QUEUE + "?q=ZHANG")) == [ticket.reference]
    assert _rows(agent_client.get(QUEUE + f"?q={employee.email}")) == [ticket.reference]
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    reference = lock_status(username="zhang.wei").reference
    assert _rows(agent_client.get(QUEUE + f"?q={reference}")) == [ticket.reference]
    assert other.reference not in _rows(agent_client.get(QUEUE + "?q=LK-NOPE1"))
    long = agent_client.get(QUEUE + "?q=" + "x" * 10_000)
    assert long.status_code == HTTPStatus.OK


def test_queue_paginator_caps_its_count(agent_client, agent, settings):
    settings.TICKETS_QUEUE_COUNT_CAP = 20
    _bulk(40, [], assignee=None)
    page = agent_client.get(QUEUE + "?status=all").content.decode()
    assert "more than 20 requests" in page


# --- The ticket page --------------------------------------------------------------------------
def test_ticket_page_shows_the_account_timeline(
    agent_client, employee, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei", ip="203.0.113.7")
    with django_capture_on_commit_callbacks(execute=True):
        earlier = new_ticket("zhang.wei")
    ticket = new_ticket("zhang.wei", contact="+86 " + str(employee.phone)[3:])
    response = agent_client.get(f"{QUEUE}{ticket.pk}/change/")
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "203.0.113.7" in page  # failures with their IP
    assert "Chrome 120 on Windows" in page  # and browser
    assert "signin.locked" in page
    assert earlier.reference in page  # earlier requests of the account
    assert "matches the verified" in page or "已验证" in page
    assert employee.email not in page  # contacts are masked
    # Messages to the account with their delivery state (here: the first request's notice).
    assert "ticket_received" in page and "tk-delivery-sent" in page


def test_unknown_account_ticket_page_says_so(agent_client, db):
    ticket = new_ticket("no.such.person")
    page = agent_client.get(f"{QUEUE}{ticket.pk}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert "No account matches" in page.content.decode()


def test_closed_requests_offer_no_message_box(agent_client, agent, employee):
    from tickets.services import ticket_resolve

    ticket = new_ticket("zhang.wei")
    url = f"{QUEUE}{ticket.pk}/change/"
    assert "/act/message/" in agent_client.get(url).content.decode()
    ticket_resolve(ticket=ticket, agent=agent)
    page = agent_client.get(url).content.decode()
    assert "/act/message/" not in page  # the service refuses messages on closed requests
    assert "/act/reopen/" in page


def test_actions_through_the_page(
    agent_client, agent, employee, django_capture_on_commit_callbacks
):
    from tests.tickets.conftest import last_code

    with django_capture_on_commit_callbacks(execute=True):
        lock_account("zhang.wei")
    ticket = new_ticket("zhang.wei")
    act = f"{QUEUE}{ticket.pk}/act/"
    assert agent_client.get(act + "claim/").status_code == HTTPStatus.METHOD_NOT_ALLOWED
    response = agent_client.post(act + "claim/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].endswith(f"{QUEUE}{ticket.pk}/change/")
    ticket.refresh_from_db()
    assert ticket.assignee == agent
    # Unlock before verification: refused with a message, nothing changes.
    response = agent_client.post(act + "unlock/", {"reason": ""}, follow=True)
    assert (
        "Verify the caller first" in response.content.decode()
        or "核验" in response.content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(act + "verify_send/", {"channel": "email"})
    agent_client.post(act + "verify_check/", {"code": last_code()})
    ticket.refresh_from_db()
    assert ticket.is_verified
    agent_client.post(act + "unlock/", {"reason": ""})
    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED
    response = agent_client.post(act + "no_such_action/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    response = agent_client.post(act + "reject/", {"text": "x" * 10_000}, follow=True)
    assert response.status_code == HTTPStatus.OK  # a form error, no 500


def test_bulk_claim_action(agent_client, agent, db):
    tickets = [new_ticket(f"user{n}") for n in range(3)]
    response = agent_client.post(
        QUEUE,
        {"action": "claim_selected", "_selected_action": [t.pk for t in tickets]},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert Ticket.objects.filter(assignee=agent).count() == 3


# --- Permissions ------------------------------------------------------------------------------
def test_agents_cannot_edit_users_groups_or_notices(agent_client, employee):
    from django.contrib.auth.models import Group

    group = Group.objects.first()
    forbidden = [
        ("get", "/admin/accounts/user/"),
        ("get", f"/admin/accounts/user/{employee.pk}/change/"),
        ("post", f"/admin/accounts/user/{employee.pk}/change/"),
        ("get", "/admin/accounts/user/add/"),
        ("get", "/admin/auth/group/"),
        ("get", f"/admin/auth/group/{group.pk}/change/"),
        ("get", "/admin/notices/notice/add/"),
        ("post", "/admin/notices/notice/add/"),
        ("get", "/admin/tickets/ticket/add/"),
    ]
    for method, url in forbidden:
        response = getattr(agent_client, method)(url)
        assert response.status_code == HTTPStatus.FORBIDDEN, url
    assert agent_client.get("/admin/notices/notice/").status_code == HTTPStatus.OK  # read only
    ticket = new_ticket("zhang.wei")
    delete = agent_client.post(f"{QUEUE}{ticket.pk}/delete/", {"post": "yes"})
    assert delete.status_code == HTTPStatus.FORBIDDEN
    assert Ticket.objects.filter(pk=ticket.pk).exists()


def test_staff_outside_the_helpdesk_group_get_403(db):
    outsider = StaffFactory(username="staff.only")
    client = admin_client_for(outsider)
    ticket = new_ticket("zhang.wei")
    assert client.get(QUEUE).status_code == HTTPStatus.FORBIDDEN
    assert client.post(f"{QUEUE}{ticket.pk}/act/claim/").status_code == HTTPStatus.FORBIDDEN


def test_an_agent_without_unlock_permission_gets_403_on_unlock(agent, employee):
    from django.contrib.auth.models import Permission

    perm = Permission.objects.get(codename="unlock_account", content_type__app_label="tickets")
    agent.groups.first().permissions.remove(perm)
    client = admin_client_for(type(agent).objects.get(pk=agent.pk))
    ticket = new_ticket("zhang.wei")
    response = client.post(f"{QUEUE}{ticket.pk}/act/unlock/", {"reason": "x" * 30})
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_employees_are_sent_to_the_admin_login(client, employee):
    client.force_login(employee)
    response = client.get(QUEUE)
    assert response.status_code == HTTPStatus.FOUND
    assert "/admin/login/" in response["Location"]


def test_a_recent_contact_change_is_flagged_before_verifying(agent_client, employee):
    from audit.services import audit_record

    audit_record(event="contact.changed", user=employee, subject=employee.username)
    ticket = new_ticket("zhang.wei")
    page = agent_client.get(f"{QUEUE}{ticket.pk}/change/").content.decode()
    assert "Careful: Recovery contact changed on " in page  # the event in words
