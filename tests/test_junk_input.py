"""Bad input of any kind, at every page a person can reach: a clear 4xx (or the page again),
never a 500. The junk goes to every field name the portal's forms use."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIELDS = [
    "username",
    "password",
    "identifier",
    "channel",
    "code",
    "new_password1",
    "new_password2",
    "old_password",
    "contact",
    "email",
    "phone",
    "description",
    "problem_started",
    "tried",
    "reply",
    "message",
    "next",
    "token",
    "language",
    "website",
    "nonce",
    "kind",
]
JUNK = {
    "huge": "x" * 10_240,
    "nul": "ab\x00cd",
    "control": "\x1b[31mred\x07\r\nSet-Cookie: evil=1",
    "unicode": "😀𝔘𝔫𝔦\u202e\u200b",
    "sqlish": "' OR 1=1 --",
    "htmlish": "<script>alert(1)</script>",
}


def _public_paths() -> list[str]:
    paths: list[str] = []

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                if route.startswith(("admin/", "i18n/")):
                    continue
                walk(entry.url_patterns, route)
            elif isinstance(entry, URLPattern):
                route = route.replace("^", "").replace("$", "")
                route = (
                    route.replace("<str:token>", "forged-token")
                    .replace("<path:token>", "forged/../token")
                    .replace("<int:pk>", "999999")
                )
                paths.append("/" + route)

    walk(get_resolver().url_patterns)
    return sorted(set(paths))


PATHS = _public_paths()


def test_the_walk_found_the_pages():
    for expected in [
        "/accounts/login/",
        "/accounts/password/reset/",
        "/tickets/unlock/",
        "/help/",
        "/api/lock-status",
        "/account/",
    ]:
        assert expected in PATHS


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("junk", sorted(JUNK))
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_junk_never_makes_a_500(client, path, junk, signed_in):
    if signed_in:
        client.force_login(UserFactory())
    value = JUNK[junk]
    data = dict.fromkeys(FIELDS, value)
    responses = [
        client.get(path, {"username": value, "next": value, "q": value}),
        client.post(path, data),
    ]
    for response in responses:
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (path, junk)


@pytest.mark.parametrize("path", PATHS)
def test_non_utf8_bodies_never_make_a_500(client, path):
    body = b"username=\xff\xfe\xfd&password=\xc3\x28&identifier=\xa0\xa1&code=\xe2\x82"
    response = client.generic("POST", path, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR


def _admin_changelists() -> list[str]:
    from django.contrib import admin

    return sorted(
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in admin.site._registry
    )


@pytest.mark.parametrize("path", _admin_changelists())
@pytest.mark.parametrize("junk", ["huge", "nul", "sqlish", "unicode"])
def test_admin_lists_take_junk_filters_without_a_500(client, path, junk):
    from tests.factories import SuperuserFactory, otp_force_login

    otp_force_login(client, SuperuserFactory())
    value = JUNK[junk]
    params = {"q": value, "o": value, "p": value, "status": value, "e": value}
    for response in (client.get(path, params), client.post(path + "add/", {"name": value})):
        assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (path, junk)


def _date_hierarchies() -> list[tuple[str, str]]:
    from django.contrib import admin

    return sorted(
        (f"/admin/{model._meta.app_label}/{model._meta.model_name}/", model_admin.date_hierarchy)
        for model, model_admin in admin.site._registry.items()
        if model_admin.date_hierarchy
    )


def test_the_admins_with_a_date_hierarchy_were_found():
    paths = {path for path, _field in _date_hierarchies()}
    assert {"/admin/audit/auditevent/", "/admin/messaging/outboxmessage/"} <= paths


@pytest.mark.parametrize(("path", "field"), _date_hierarchies())
@pytest.mark.parametrize(
    "query",
    [
        # Django's date hierarchy adds a day, a month or a year past 9999-12-31.
        "{f}__year=9999&{f}__month=12&{f}__day=31",
        "{f}__year=9999&{f}__month=12",
        "{f}__year=9999",
        # Before UTC's year 1 once made aware in Shanghai time.
        "{f}__year=1&{f}__month=1&{f}__day=1",
        "{f}__year=0",
    ],
)
def test_dates_at_the_ends_of_the_calendar_never_make_a_500(client, path, field, query):
    from tests.factories import SuperuserFactory, otp_force_login

    otp_force_login(client, SuperuserFactory())
    response = client.get(path + "?" + query.format(f=field))
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (path, query)
