"""One counter for every door; one hash per attempt whoever the account is; Argon2id upgrades."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import make_password

from audit.models import AuditEvent
from signin.selectors import lock_status
from tests.factories import DEFAULT_PASSWORD, StaffFactory, UserFactory
from tests.signin.conftest import ADMIN_LOGIN, WRONG, browser, fail, post_login, sign_in

pytestmark = pytest.mark.django_db


def test_the_site_and_the_admin_share_one_counter(en, staff):
    fail(en, "agent.one", 3)
    responses = [post_login(en, "agent.one", WRONG, path=ADMIN_LOGIN) for _ in range(2)]
    assert responses[0].status_code == HTTPStatus.OK
    assert responses[1].status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "This account is temporarily locked" in responses[1].content.decode()
    assert lock_status(username="agent.one").locked
    # Locked at one door, locked at the other, even with the right password.
    assert sign_in(en, "agent.one").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert (
        post_login(en, "agent.one", DEFAULT_PASSWORD, path=ADMIN_LOGIN).status_code
        == HTTPStatus.TOO_MANY_REQUESTS
    )
    doors = set(
        AuditEvent.objects.filter(event="signin.failed").values_list("data__door", flat=True)
    )
    assert doors == {"site", "admin"}


def test_a_successful_admin_sign_in_resets_the_shared_counter(en, staff):
    fail(en, "agent.one", 4)
    response = post_login(en, "agent.one", DEFAULT_PASSWORD, path=ADMIN_LOGIN)
    assert response.status_code == HTTPStatus.FOUND
    assert lock_status(username="agent.one").failures == 0
    assert AuditEvent.objects.get(event="signin.succeeded").data["door"] == "admin"


@pytest.fixture
def accounts(db):
    UserFactory(username="real.person")
    UserFactory(username="left.company", is_active=False)
    nopass = UserFactory(username="no.password")
    nopass.set_unusable_password()
    nopass.save()


@pytest.mark.parametrize("name", ["real.person", "left.company", "no.password", "never.existed"])
def test_exactly_one_hash_per_attempt_whoever_the_account_is(accounts, counting_hasher, name):
    counting_hasher.calls = 0
    fail(browser(), name, 1)
    assert counting_hasher.calls == 1


@pytest.mark.parametrize("password", [WRONG, DEFAULT_PASSWORD])
def test_the_right_password_of_an_inactive_account_is_one_hash_and_a_failure(
    accounts, counting_hasher, password
):
    counting_hasher.calls = 0
    response = post_login(browser(), "left.company", password)
    assert counting_hasher.calls == 1
    assert response.status_code == HTTPStatus.OK
    assert "The username or password is not right." in response.content.decode()


def test_responses_are_identical_for_real_inactive_passwordless_and_unknown(accounts):
    pages = {}
    for name in ["real.person", "left.company", "no.password", "never.existed"]:
        client = browser()
        responses = fail(client, name, 6)
        pages[name] = [
            (r.status_code, r.get("Retry-After"), _blank(r.content.decode(), name))
            for r in responses
        ]
    first = pages["real.person"]
    assert [p[0] for p in first] == [200, 200, 200, 200, 429, 429]
    for name, seen in pages.items():
        assert seen == first, name


def _blank(text: str, name: str) -> str:
    text = re.sub(r"LK-[0-9A-Z]{5}", "LK-?", text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return text.replace(name, "NAME")


def test_a_locked_attempt_is_refused_before_any_hash(en, user, counting_hasher):
    fail(en, "zhang.wei", 5)
    counting_hasher.calls = 0
    assert sign_in(en, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert post_login(en, "zhang.wei", path=ADMIN_LOGIN).status_code == 429
    assert counting_hasher.calls == 0


@pytest.mark.real_hasher
def test_argon2id_is_the_default_and_older_hashes_upgrade_at_sign_in(real_hasher, settings):
    from accounts.hashers import PortalArgon2PasswordHasher

    settings.PASSWORD_HASHERS = [
        "accounts.hashers.PortalArgon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    hasher = PortalArgon2PasswordHasher()
    assert (hasher.memory_cost, hasher.time_cost, hasher.parallelism) >= (19 * 1024, 2, 1)
    assert make_password("x").startswith("argon2$argon2id$")
    legacy = StaffFactory(username="old.timer")
    legacy.password = make_password(DEFAULT_PASSWORD, hasher="pbkdf2_sha256")
    legacy.save()
    assert sign_in(browser(), "old.timer").status_code == HTTPStatus.FOUND
    legacy.refresh_from_db()
    assert legacy.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
