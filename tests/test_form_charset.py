"""A form declared in a character set other than UTF-8, at any URL (admin and unknown ones
included), with the browser's CSRF cookie: the portal's 400 page in the visitor's language and
one log line, never a 500 or a traceback."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from tests.logs import console_output

pytestmark = pytest.mark.django_db

PATHS = [
    "/accounts/login/",
    "/accounts/password/reset/",
    "/tickets/unlock/",
    "/admin/login/",
    "/no/such/page/",
]
CHARSETS = ["iso-8859-1", "latin1", "windows-1252", "utf-16", "x-no-such-charset"]
HEADINGS = {"en": "This request could not be understood", "zh-hans": "无法识别此请求"}


def _browser(language: str) -> tuple[Client, str]:
    client = Client(
        enforce_csrf_checks=True, raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language
    )
    client.get("/accounts/login/")
    return client, client.cookies["csrftoken"].value


def _post(client: Client, path: str, token: str, content_type: str):
    body = f"username=zhang.wei&password=caf%C3%A9&csrfmiddlewaretoken={token}".encode()
    return client.generic("POST", path, body, content_type=content_type)


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_form_in_another_charset_gets_the_400_page_and_one_log_line(path, charset, language):
    client, token = _browser(language)
    with console_output() as output:
        response = _post(
            client, path, token, f"application/x-www-form-urlencoded; charset={charset}"
        )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert HEADINGS[language] in response.content.decode()
    lines = output.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    assert path in lines[0]


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", "utf8"])
def test_a_form_declared_as_utf8_is_read(charset):
    client, token = _browser("en")
    response = _post(
        client, "/accounts/login/", token, f"application/x-www-form-urlencoded; charset={charset}"
    )
    # The sign-in form was read: a wrong password, not a refused request.
    assert response.status_code == HTTPStatus.OK
    assert b"This request could not be understood" not in response.content


def test_the_400_page_keeps_the_browsers_csrf_cookie_usable():
    """The language switch on the 400 page still posts (its token matches the cookie)."""
    client, token = _browser("en")
    response = _post(
        client, "/accounts/login/", token, "application/x-www-form-urlencoded; charset=latin1"
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    page_token = response.content.decode().split('name="csrfmiddlewaretoken" value="')[1]
    page_token = page_token.split('"')[0]
    switched = client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/", "csrfmiddlewaretoken": page_token}
    )
    assert switched.status_code == HTTPStatus.FOUND
