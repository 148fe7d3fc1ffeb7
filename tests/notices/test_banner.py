"""The banner on every page: upcoming, active, ended, ordering, dismissal, cost."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notices.models import Notice, Severity
from notices.selectors import CACHE_KEY, notices_window
from notices.services import SESSION_DISMISSED
from tests.conftest import clear_cache
from tests.factories import otp_force_login
from tests.notices.conftest import at
from tests.notices.factories import NoticeFactory

pytestmark = pytest.mark.django_db


def banner_titles(response) -> list[str]:
    return [item.title for item in response.context["site_notices"]]


def test_upcoming_shows_from_lead_hours_before_start_then_active_then_gone(clock, en, settings):
    settings.NOTICE_LEAD_HOURS = 24
    notice = NoticeFactory(
        title_en="CRM upgrade",
        starts_at=at(13, 30, day=25),  # tomorrow 13:30, 28.5 hours away
        ends_at=at(14, 0, day=25),
    )
    assert banner_titles(en.get("/")) == []

    clock.set(at(13, 31, day=24))  # 23 h 59 min before the start: upcoming
    response = en.get("/")
    assert banner_titles(response) == ["CRM upgrade"]
    assert not response.context["site_notices"][0].active
    body = response.content.decode()
    assert "Planned maintenance" in body
    assert "from November 25 13:30 to 14:00 (starts in 23\xa0hours, 59\xa0minutes)" in body

    clock.set(at(13, 35, day=25))  # active: back at 14:00, in 25 minutes
    response = en.get("/")
    assert response.context["site_notices"][0].active
    assert "expected back at 14:00 (in 25\xa0minutes)" in response.content.decode()

    clock.set(at(14, 0, day=25))  # the expected end: gone, nobody touched anything
    assert banner_titles(en.get("/")) == []
    assert Notice.objects.filter(pk=notice.pk, published=True).exists()


def test_times_are_in_the_portal_time_zone_and_language(clock, zh):
    NoticeFactory(title_zh="邮箱升级", starts_at=at(8, 0), ends_at=at(9, 25))
    body = zh.get("/").content.decode()
    # 09:00 in Shanghai is 01:00 UTC; the page speaks Shanghai time.
    assert "邮箱升级" in body
    assert "预计 09:25 恢复（还有 25\xa0分钟）" in body


def test_draft_and_far_future_notices_do_not_show(clock, en):
    NoticeFactory(title_en="Draft", published=False)
    NoticeFactory(title_en="Next month", starts_at=at(9, 0, day=30), ends_at=at(10, 0, day=30))
    assert banner_titles(en.get("/")) == []


def test_several_notices_active_first_then_by_severity(clock, en):
    NoticeFactory(title_en="Info now", severity=Severity.INFO)
    NoticeFactory(title_en="Outage now", severity=Severity.OUTAGE)
    NoticeFactory(title_en="Warning now", severity=Severity.WARNING)
    NoticeFactory(
        title_en="Outage later",
        severity=Severity.OUTAGE,
        starts_at=at(20, 0),
        ends_at=at(22, 0),
    )
    response = en.get("/")
    assert banner_titles(response) == ["Outage now", "Warning now", "Info now", "Outage later"]
    body = response.content.decode()
    assert body.index("Outage now") < body.index("Warning now") < body.index("Info now")


@pytest.mark.parametrize(
    "url",
    ["/", "/help/", "/help/faq/", "/accounts/login/", "/accounts/password/reset/", "/admin/login/"],
)
def test_banner_on_every_kind_of_page(clock, en, url):
    NoticeFactory(title_en="Directory sync", severity=Severity.WARNING)
    response = en.get(url)
    assert response.status_code == HTTPStatus.OK
    assert "Directory sync" in response.content.decode()


def test_banner_on_signed_in_and_admin_pages(clock, client, superuser):
    NoticeFactory(title_en="Directory sync", title_zh="目录同步")
    otp_force_login(client, superuser)
    for url in ("/admin/", reverse("admin:notices_notice_changelist")):
        response = client.get(url, follow=True)
        assert "目录同步" in response.content.decode(), url


def test_informational_notice_dismissed_for_the_session_without_javascript(clock, en):
    info = NoticeFactory(title_en="New help pages", severity=Severity.INFO)
    NoticeFactory(title_en="Storage warning", severity=Severity.WARNING)
    page = en.get("/help/").content.decode()
    assert f'action="/notices/{info.pk}/dismiss/"' in page

    response = en.post(f"/notices/{info.pk}/dismiss/", {"next": "/help/"})
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response["Location"] == "/help/"
    assert en.session[SESSION_DISMISSED] == [info.pk]

    assert banner_titles(en.get("/help/")) == ["Storage warning"]
    # A new session (another browser) still sees it.
    en.cookies.clear()
    assert banner_titles(en.get("/help/")) == ["Storage warning", "New help pages"]


def test_only_informational_notices_can_be_dismissed(clock, en):
    warning = NoticeFactory(severity=Severity.WARNING)
    blocking_info = NoticeFactory(severity=Severity.INFO, blocks_signin=True)
    for notice in (warning, blocking_info):
        assert f"/notices/{notice.pk}/dismiss/" not in en.get("/").content.decode()
        response = en.post(f"/notices/{notice.pk}/dismiss/", HTTP_ACCEPT="application/json")
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert response.json() == {"dismissed": False}
    assert len(en.get("/").context["site_notices"]) == 2


def test_dismiss_with_javascript_answers_json(clock, en):
    info = NoticeFactory(severity=Severity.INFO)
    response = en.post(f"/notices/{info.pk}/dismiss/", HTTP_ACCEPT="application/json")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"dismissed": True}


def test_dismiss_refuses_to_redirect_elsewhere_and_needs_post(clock, en):
    info = NoticeFactory(severity=Severity.INFO)
    response = en.post(f"/notices/{info.pk}/dismiss/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert en.get(f"/notices/{info.pk}/dismiss/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_warm_banner_makes_no_query(clock, client, django_assert_num_queries):
    NoticeFactory(title_en="Outage", severity=Severity.OUTAGE)
    NoticeFactory(title_en="Planned", starts_at=at(20), ends_at=at(21))
    NoticeFactory(title_en="Info", severity=Severity.INFO)
    client.get("/")  # warms the cache
    with django_assert_num_queries(0):
        response = client.get("/")
    assert len(response.context["site_notices"]) == 3
    with django_assert_num_queries(0):
        assert len(notices_window()) == 3


def test_warm_banner_adds_no_query_to_a_signed_in_page(clock, en, user):
    en.force_login(user)
    en.get("/")
    with CaptureQueriesContext(connection) as baseline:
        en.get("/")
    NoticeFactory(title_en="Outage", severity=Severity.OUTAGE)
    NoticeFactory(title_en="Info", severity=Severity.INFO)
    en.get("/")  # warm again after the change
    with CaptureQueriesContext(connection) as with_banner:
        response = en.get("/")
    assert banner_titles(response) == ["Outage", "Info"]
    assert len(with_banner) == len(baseline)


def test_the_login_page_reads_the_notice_list_once(clock, en, monkeypatch):
    """The sign-in guard and the page's banner share one read of the cached list."""
    from notices import selectors

    NoticeFactory(title_en="Outage", severity=Severity.OUTAGE)
    reads = []
    real = selectors._cached_rows
    monkeypatch.setattr(selectors, "_cached_rows", lambda: reads.append(1) or real())
    response = en.get("/accounts/login/")
    assert banner_titles(response) == ["Outage"] and len(reads) == 1


def test_cold_cache_costs_one_query(clock, client, django_assert_num_queries):
    NoticeFactory(title_en="Outage", severity=Severity.OUTAGE)
    clear_cache()
    with django_assert_num_queries(1):
        assert [n.title_en for n in notices_window()] == ["Outage"]


def test_admin_change_shows_up_at_once_through_services(clock, client, superuser):
    notice = NoticeFactory(title_en="Before", title_zh="之前")
    client.get("/")
    otp_force_login(client, superuser)
    data = {
        "severity": notice.severity,
        "published": "on",
        "starts_at_0": "2026-11-24",
        "starts_at_1": "08:55",
        "ends_at_0": "2026-11-24",
        "ends_at_1": "10:00",
        "title_zh": "之后",
        "title_en": "After",
        "message_zh": "",
        "message_en": "",
    }
    url = reverse("admin:notices_notice_change", args=[notice.pk])
    response = client.post(url, data)
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    assert [n.title_en for n in notices_window()] == ["After"]


def test_write_around_the_services_shows_up_within_the_cache_lifetime(clock, en, settings):
    # A per-process cache here only because its expiry follows the fake clock; Redis keeps its
    # own time (see the next test for the TTL Redis is given).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.NOTICES_CACHE_SECONDS = 30
    notice = NoticeFactory(title_en="Before")
    assert banner_titles(en.get("/")) == ["Before"]
    Notice.objects.filter(pk=notice.pk).update(title_en="After")  # no service, no invalidation
    assert banner_titles(en.get("/")) == ["Before"]
    clock.advance(seconds=31)
    assert banner_titles(en.get("/")) == ["After"]


def test_overlapping_notices_all_show(clock, en):
    NoticeFactory(title_en="A", starts_at=at(8), ends_at=at(10), severity=Severity.INFO)
    NoticeFactory(title_en="B", starts_at=at(8, 30), ends_at=at(11), severity=Severity.OUTAGE)
    assert banner_titles(en.get("/")) == ["B", "A"]
    clock.advance(hours=1, minutes=30)  # 10:30: A is over, B goes on
    assert banner_titles(en.get("/")) == ["B"]


def test_banner_survives_a_broken_cache(clock, en, settings):
    NoticeFactory(title_en="Still shown")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    response = en.get("/help/")
    assert response.status_code == HTTPStatus.OK
    assert "Still shown" in response.content.decode()


@pytest.mark.redis
def test_redis_holds_the_list_for_the_backstop_lifetime_only(clock, en, settings):
    from django.core.cache import cache

    settings.NOTICES_CACHE_SECONDS = 30
    NoticeFactory(title_en="Cached")
    en.get("/")
    client = cache.client(write=False)
    ttl = client.ttl(cache.make_and_validate_key(CACHE_KEY))
    assert 0 < ttl <= 30
