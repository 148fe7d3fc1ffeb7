"""The outbox admin: read-only, masked recipients, no secret content, retry now, filters."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from messaging.models import OutboxMessage
from messaging.services import messaging_send, outbox_deliver

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:messaging_outboxmessage_changelist"


def _otp(client, user):
    """Admin pages may require a verified TOTP device (accounts workstream); satisfy it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()


@pytest.fixture
def admin(client, superuser):
    client.force_login(superuser)
    _otp(client, superuser)
    return client


def _messages(user):
    email = messaging_send(channel="email", kind="messaging_test", context={}, to_user=user)
    code = messaging_send(
        channel="sms",
        kind="messaging_test",
        context={"note": "CODE-778899"},
        to_user=user,
        secret=True,
    )
    return email, code


def test_changelist_masks_recipients_and_filters(admin, user):
    user.email = "alice@corp.cn"
    user.save()
    _messages(user)
    response = admin.get(reverse(CHANGELIST))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "a***@corp.cn" in body
    assert "alice@corp.cn" not in body
    national = str(user.phone.national_number)
    assert f"{national[:3]}****{national[-4:]}" in body
    assert national not in body
    filtered = admin.get(reverse(CHANGELIST), {"channel__exact": "sms", "status__exact": "queued"})
    assert filtered.status_code == HTTPStatus.OK
    assert filtered.context["cl"].result_count == 1


def test_detail_is_read_only_and_hides_secret_content(admin, user):
    email, code = _messages(user)
    response = admin.get(reverse("admin:messaging_outboxmessage_change", args=[code.pk]))
    assert response.status_code == HTTPStatus.OK
    body = response.content.decode()
    assert "CODE-778899" not in body
    assert "hidden" in body or "隐藏" in body
    assert 'name="_save"' not in body
    response = admin.get(reverse("admin:messaging_outboxmessage_change", args=[email.pk]))
    assert (
        "这是一条测试消息" in response.content.decode()
        or "test message" in response.content.decode()
    )
    assert (
        admin.get(reverse("admin:messaging_outboxmessage_add")).status_code == HTTPStatus.FORBIDDEN
    )


def test_retry_now_action_requeues_failed_rows(
    admin, user, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.messaging.backends.RefusingEmailBackend"
    email, _code = _messages(user)
    assert outbox_deliver(message_id=email.pk) == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            reverse(CHANGELIST),
            {"action": "retry_now", "_selected_action": [email.pk]},
            follow=True,
        )
    assert response.status_code == HTTPStatus.OK
    email.refresh_from_db()
    assert email.status == OutboxMessage.Status.SENT


def test_agents_see_the_outbox_but_cannot_retry(client, staff, user):
    staff.user_permissions.add(
        Permission.objects.get(codename="view_outboxmessage", content_type__app_label="messaging")
    )
    client.force_login(staff)
    _otp(client, staff)
    _messages(user)
    response = client.get(reverse(CHANGELIST))
    assert response.status_code == HTTPStatus.OK
    assert "retry_now" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        # Django's date hierarchy adds a day, a month or a year past 9999-12-31.
        "created_at__year=9999&created_at__month=12&created_at__day=31",
        "created_at__year=9999&created_at__month=12",
        "created_at__year=9999",
        # Before UTC's year 1 once made aware in Shanghai time.
        "created_at__year=1&created_at__month=1&created_at__day=1",
        "created_at__gte=0001-01-01",
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_no_500(admin, query):
    response = admin.get(reverse("admin:messaging_outboxmessage_changelist") + "?" + query)
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
