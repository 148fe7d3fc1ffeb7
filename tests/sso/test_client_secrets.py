"""Client secrets: random and long, so a fast salted hash (sso/hashers.py) instead of the
password hasher; secrets stored earlier with the password hasher still work and are stored again
with the fast one at their first use; a short secret is refused."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError

from sso.models import Client
from tests.sso.oidc import authorize_query, code_from, exchange, pkce, register

pytestmark = pytest.mark.django_db


def test_a_secret_stored_with_the_password_hasher_still_works_and_is_stored_again(client, user):
    rp = register()
    Client.objects.filter(pk=rp.client.pk).update(
        client_secret=make_password(rp.secret, hasher="md5")
    )
    client.force_login(user)
    for _ in range(2):
        verifier, challenge = pkce()
        code = code_from(client.get(authorize_query(rp, challenge=challenge)))
        assert exchange(client, rp, code, verifier).status_code == HTTPStatus.OK
        rp.client.refresh_from_db()
        assert rp.client.client_secret.startswith("sso_pbkdf2_sha256$")


def test_a_wrong_secret_is_refused_and_changes_nothing(client, user):
    rp = register()
    stored = make_password(rp.secret, hasher="md5")
    Client.objects.filter(pk=rp.client.pk).update(client_secret=stored)
    client.force_login(user)
    verifier, challenge = pkce()
    code = code_from(client.get(authorize_query(rp, challenge=challenge)))
    rp.secret = "not-the-secret-" + "x" * 30
    assert exchange(client, rp, code, verifier).status_code == HTTPStatus.UNAUTHORIZED
    rp.client.refresh_from_db()
    assert rp.client.client_secret == stored


def test_a_short_secret_is_refused():
    app = Client(
        name="Short",
        client_type=Client.CLIENT_CONFIDENTIAL,
        redirect_uris="https://crm.example.cn/cb",
        client_secret="short-secret",
    )
    with pytest.raises(ValidationError) as refused:
        app.full_clean()
    assert "client_secret" in refused.value.message_dict
