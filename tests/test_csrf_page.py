"""A form posted without its CSRF cookie gets the portal's own 403 page (templates/403_csrf.html)
in the person's language: with no cookie at all, it says cookies are blocked and leads to the
troubleshooter; with cookies but a stale token, it says to reload and try again."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


def test_no_cookie_at_all_says_cookies_are_blocked_in_chinese():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-CN")
    response = client.post(LOGIN, {"username": "zhang.wei", "password": "x"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.content.decode()
    assert "您的浏览器阻止了门户的 Cookie" in body
    assert 'href="/help/"' in body
    assert "CSRF" not in body


def test_a_stale_token_with_cookies_says_reload_and_try_again():
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.get(LOGIN)  # the CSRF cookie is set
    response = client.post(LOGIN, {"username": "zhang.wei", "password": "x"})  # no token
    assert response.status_code == HTTPStatus.FORBIDDEN
    body = response.content.decode()
    assert "The form could not be sent" in body
    assert "blocking the portal" not in body
