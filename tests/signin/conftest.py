"""Sign-in fixtures: English pages, a hash counter, helpers to sign in and to fail."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import DEFAULT_PASSWORD
from tests.signin.hashers import CountingHasher

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"
WRONG = "not the right password"


def browser(**extra) -> Client:
    """A fresh browser (no cookies), pages in English."""
    return Client(HTTP_ACCEPT_LANGUAGE="en", **extra)


@pytest.fixture
def en() -> Client:
    return browser()


def hashers_set(settings, *hashers: str) -> None:
    """Change the password hashers as a deployment would: the throw-away hash that names without
    an account are checked against is made at once (at start-up there, ``signin.apps``), not by
    the first such attempt."""
    from signin.identity import throwaway_hash

    settings.PASSWORD_HASHERS = list(hashers)
    throwaway_hash()


@pytest.fixture
def counting_hasher(settings):
    hashers_set(settings, "tests.signin.hashers.CountingHasher")
    CountingHasher.calls = 0
    return CountingHasher


def post_login(client: Client, username: str, password: str = WRONG, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def fail(client: Client, username: str, times: int, **extra) -> list:
    return [post_login(client, username, WRONG, **extra) for _ in range(times)]


def sign_in(client: Client, username: str, password: str = DEFAULT_PASSWORD, **extra):
    return post_login(client, username, password, **extra)
