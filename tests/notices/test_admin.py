"""Notices and FAQ in the admin: validation, overlaps, actions, who may edit, the audit trail."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.roles import HELPDESK_AGENTS
from accounts.services import roles_sync
from audit.models import AuditEvent
from notices.errors import NoticeError
from notices.models import FaqEntry, Notice, Severity
from notices.selectors import notices_window
from notices.services import notice_create, notice_end_now, notice_publish, notice_unpublish
from tests.factories import otp_force_login
from tests.notices.conftest import at
from tests.notices.factories import NoticeFactory

pytestmark = pytest.mark.django_db

ADD = "admin:notices_notice_add"


def form_data(**overrides) -> dict:
    data = {
        "severity": "warning",
        "published": "on",
        "starts_at_0": "2026-11-24",
        "starts_at_1": "13:00",
        "ends_at_0": "2026-11-24",
        "ends_at_1": "14:00",
        "title_zh": "CRM 升级",
        "title_en": "CRM upgrade",
        "message_zh": "",
        "message_en": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def admin_client(client, superuser):
    otp_force_login(client, superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def errors_of(response) -> dict:
    assert response.status_code == HTTPStatus.OK, "expected the form again, with errors"
    return response.context["adminform"].form.errors


def test_admin_creates_a_notice_through_the_service(clock, admin_client, superuser):
    response = admin_client.post(reverse(ADD), form_data(blocks_signin="on"))
    assert response.status_code == HTTPStatus.FOUND
    notice = Notice.objects.get()
    assert notice.blocks_signin
    assert notice.created_by == superuser
    event = AuditEvent.objects.get(event="notices.notice_created")
    assert event.actor == superuser
    assert event.data["blocks_signin"] is True
    assert [n.pk for n in notices_window()] == [notice.pk]  # the cache knew at once


def test_end_before_start_is_a_clear_form_error(clock, admin_client):
    response = admin_client.post(reverse(ADD), form_data(ends_at_1="12:00"))
    assert "The expected end must be after the start." in errors_of(response)["ends_at"]
    response = admin_client.post(reverse(ADD), form_data(ends_at_1="13:00"))  # equal: no window
    assert "ends_at" in errors_of(response)
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("starts", "ends"),
    [
        # Shanghai's 0001-01-01 00:00 is before UTC's year 1: the check constraint overflowed.
        (("0001-01-01", "00:00"), ("2026-11-24", "14:00")),
        (("0001-01-01", "00:00"), ("0001-01-01", "12:00")),
    ],
)
def test_times_before_the_calendar_starts_are_a_form_error_not_a_500(
    clock, admin_client, starts, ends
):
    response = admin_client.post(
        reverse(ADD),
        form_data(
            starts_at_0=starts[0], starts_at_1=starts[1], ends_at_0=ends[0], ends_at_1=ends[1]
        ),
    )
    errors = errors_of(response)
    assert "starts_at" in errors or "ends_at" in errors
    assert not Notice.objects.exists()


def test_end_before_start_refused_by_the_service_and_the_database(clock):
    with pytest.raises(ValidationError) as raised:
        notice_create(actor=None, title_zh="甲", title_en="A", starts_at=at(13), ends_at=at(12))
    assert "ends_at" in raised.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(title_zh="甲", title_en="A", starts_at=at(13), ends_at=at(12))


def test_ten_kilobyte_message_is_a_form_error(clock, admin_client):
    response = admin_client.post(reverse(ADD), form_data(message_en="x" * 10_240))
    errors = errors_of(response)["message_en"]
    assert any("at most 2000 characters" in e for e in errors)
    with pytest.raises(ValidationError):
        notice_create(
            actor=None,
            title_zh="甲",
            title_en="A",
            message_zh="长" * 10_240,
            starts_at=at(13),
            ends_at=at(14),
        )
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("title_en", "bad\x00title"), ("message_zh", "坏\x07消息"), ("title_zh", "")],
)
def test_control_characters_and_missing_titles_are_form_errors(clock, admin_client, field, value):
    response = admin_client.post(reverse(ADD), form_data(**{field: value}))
    assert field in errors_of(response)
    assert not Notice.objects.exists()


def test_overlapping_notices_are_allowed_with_a_warning(clock, admin_client):
    NoticeFactory(title_en="Mail upgrade", starts_at=at(12, 30), ends_at=at(13, 30))
    response = admin_client.post(reverse(ADD), form_data(), follow=True)
    assert response.status_code == HTTPStatus.OK
    messages = [str(m) for m in response.context["messages"]]
    assert any("overlaps other published notices: Mail upgrade" in m for m in messages)
    assert Notice.objects.count() == 2
    # Adjacent (not overlapping) notices get no warning.
    response = admin_client.post(
        reverse(ADD), form_data(starts_at_1="14:00", ends_at_1="15:00"), follow=True
    )
    assert not any("overlaps" in str(m) for m in response.context["messages"])


def test_admin_actions_publish_unpublish_end_now(clock, admin_client, superuser):
    notice = NoticeFactory(title_en="Now", blocks_signin=True)
    url = reverse("admin:notices_notice_changelist")
    admin_client.post(url, {"action": "end_now", "_selected_action": [notice.pk]})
    notice.refresh_from_db()
    assert notice.ends_at == clock.now()
    assert notices_window() == []
    assert AuditEvent.objects.filter(event="notices.notice_ended", actor=superuser).exists()

    draft = NoticeFactory(title_en="Draft", published=False)
    admin_client.post(url, {"action": "publish", "_selected_action": [draft.pk]})
    assert [n.title_en for n in notices_window()] == ["Draft"]
    admin_client.post(url, {"action": "unpublish", "_selected_action": [draft.pk]})
    assert notices_window() == []


def test_transitions_are_guarded(clock):
    ended = NoticeFactory(starts_at=at(7), ends_at=at(8))
    with pytest.raises(NoticeError):
        notice_end_now(notice=ended, actor=None)
    with pytest.raises(NoticeError):
        notice_publish(notice=ended, actor=None)
    draft = NoticeFactory(published=False)
    with pytest.raises(NoticeError):
        notice_unpublish(notice=draft, actor=None)
    with pytest.raises(NoticeError):
        notice_end_now(notice=draft, actor=None)


def test_admin_delete_goes_through_the_service(clock, admin_client, superuser):
    notice = NoticeFactory(title_en="Gone soon")
    assert notices_window()
    response = admin_client.post(
        reverse("admin:notices_notice_delete", args=[notice.pk]), {"post": "yes"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert notices_window() == []
    assert AuditEvent.objects.filter(event="notices.notice_deleted", actor=superuser).exists()


def test_agents_read_notices_and_faq_but_cannot_edit(clock, client, staff):
    from django.contrib.auth.models import Group

    roles_sync()
    staff.groups.add(Group.objects.get(name=HELPDESK_AGENTS))
    otp_force_login(client, staff)
    notice = NoticeFactory()
    changelist = reverse("admin:notices_notice_changelist")
    assert client.get(changelist).status_code == HTTPStatus.OK
    assert client.get(reverse("admin:notices_faqentry_changelist")).status_code == HTTPStatus.OK
    assert client.get(reverse(ADD)).status_code == HTTPStatus.FORBIDDEN
    change = reverse("admin:notices_notice_change", args=[notice.pk])
    response = client.post(change, form_data(title_en="Hijacked"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    client.post(changelist, {"action": "end_now", "_selected_action": [notice.pk]})
    notice.refresh_from_db()
    assert notice.title_en != "Hijacked"
    assert notice.is_active_at(clock.now())


def test_admin_edits_faq_entries(clock, admin_client, superuser):
    entry = FaqEntry.objects.get(slug="maintenance")
    url = reverse("admin:notices_faqentry_change", args=[entry.pk])
    page = admin_client.get(url)
    data = {
        k: v
        for k, v in page.context["adminform"].form.initial.items()
        if k in {f.name for f in FaqEntry._meta.fields}
    }
    data.update(answer_en="Wait for the time in the notice.", published="on")
    data = {k: ("" if v is None else v) for k, v in data.items() if v is not False}
    response = admin_client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, errors_of(response)
    assert "Wait for the time in the notice." in admin_client.get("/help/faq/").content.decode()
    assert AuditEvent.objects.filter(event="notices.faq_updated", actor=superuser).exists()
    # A link must stay inside the portal.
    data.update(link_url="https://phish.example/")
    assert "link_url" in errors_of(admin_client.post(url, data))


def test_severity_choices_are_the_three_levels():
    assert [c for c, _ in Severity.choices] == ["info", "warning", "outage"]


@pytest.mark.parametrize(
    "query",
    [
        # Django's date hierarchy adds a day, a month or a year past 9999-12-31.
        "starts_at__year=9999&starts_at__month=12&starts_at__day=31",
        "starts_at__year=9999&starts_at__month=12",
        "starts_at__year=9999",
        # Before UTC's year 1 once made aware in Shanghai time.
        "starts_at__year=1&starts_at__month=1&starts_at__day=1",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_no_500_in_the_list(admin_client, query):
    response = admin_client.get(reverse("admin:notices_notice_changelist") + "?" + query)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
