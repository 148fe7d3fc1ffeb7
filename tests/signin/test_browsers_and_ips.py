"""Known browsers keep the owner in; the per-IP limit; trusted networks; the real client IP."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from signin.models import Lock, Scope
from signin.selectors import lock_status
from tests.signin.conftest import browser, fail, sign_in
from tests.signin.ip_state import ip_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(user):
    """The owner's browser: it signed in once, then signed out."""
    client = browser()
    assert sign_in(client, "zhang.wei").status_code == HTTPStatus.FOUND
    client.post("/accounts/logout/")
    return client


def test_known_browser_cookie_is_signed_httponly_and_lasts_90_days(user, settings):
    client = browser()
    response = sign_in(client, "zhang.wei")
    cookie = response.cookies["portal_kb"]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Lax"
    assert int(cookie["max-age"]) == 90 * 86400
    assert "zhang" not in cookie.value  # no username inside
    # A tampered cookie is just an unknown browser.
    client.cookies["portal_kb"] = cookie.value[:-2] + "xx"
    client.post("/accounts/logout/")
    fail(browser(), "zhang.wei", 5)
    assert sign_in(client, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_lock_by_unknown_browsers_does_not_stop_a_known_one(known, user):
    attacker = browser(REMOTE_ADDR="203.0.113.9")
    fail(attacker, "zhang.wei", 5)
    assert lock_status(username="zhang.wei").locked
    assert sign_in(attacker, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS
    response = sign_in(known, "zhang.wei")
    assert response.status_code == HTTPStatus.FOUND
    assert int(known.session["_auth_user_id"]) == user.pk
    # The owner's sign-in does not lift the lock the attacker caused.
    assert lock_status(username="zhang.wei").locked
    assert sign_in(attacker, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_known_browser_has_its_own_counter_with_the_same_limit(known, user):
    responses = fail(known, "zhang.wei", 5)
    assert [r.status_code for r in responses[:4]] == [HTTPStatus.OK] * 4
    assert "2 attempts left" in responses[2].content.decode()
    assert responses[4].status_code == HTTPStatus.TOO_MANY_REQUESTS
    lock = Lock.objects.get()
    assert lock.scope == Scope.BROWSER and lock.user == user
    # The account itself (other browsers) is not locked by the known browser's failures ...
    assert not lock_status(username="zhang.wei").locked
    assert sign_in(browser(), "zhang.wei").status_code == HTTPStatus.FOUND
    # ... and the known browser stays refused until its own lock ends.
    assert sign_in(known, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_browser_is_known_only_to_the_accounts_that_signed_in_there(known, user):
    from tests.factories import UserFactory

    UserFactory(username="li.na")
    fail(browser(), "li.na", 5)
    assert sign_in(known, "li.na").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_known_browser_skips_the_quick_refusal_only_for_the_name_it_signed_in_with(
    known, user, monkeypatch
):
    from signin import refusals

    looked_up = []
    for name in ("lock_active_for_name",):
        real = getattr(refusals, name)
        monkeypatch.setattr(
            refusals,
            name,
            lambda *a, _real=real, _name=name, **kw: looked_up.append(_name) or _real(*a, **kw),
        )
    assert sign_in(known, " Zhang.WEI ").status_code == HTTPStatus.FOUND  # case and spaces aside
    assert looked_up == []  # its own counter decides; a lock never refuses a known browser
    known.post("/accounts/logout/")
    sign_in(known, user.email)  # a name never typed here: the lock is read, nothing recorded yet
    assert looked_up == ["lock_active_for_name"]
    sign_in(browser(), user.email)  # no cookie: the lock is read, then the refusal recorded
    assert looked_up[1:] == ["lock_active_for_name"]


def test_a_lock_started_by_an_email_refuses_that_email_and_the_username(user):
    attacker = browser(REMOTE_ADDR="203.0.113.9")
    fail(attacker, user.email.upper(), 5)
    lock = Lock.objects.get()
    assert lock.key == "zhang.wei" and lock.typed_key == user.email.lower()
    for typed in (user.email, f" {user.email.upper()} ", "ZHANG.wei"):
        response = sign_in(attacker, typed)
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
        assert lock.reference in response.content.decode()


def test_a_browser_known_to_another_account_is_still_refused(known, user):
    from audit.models import AuditEvent
    from tests.factories import UserFactory

    UserFactory(username="li.na")
    fail(browser(), "li.na", 5)
    before = AuditEvent.objects.filter(event="signin.refused").count()
    assert sign_in(known, "li.na").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert AuditEvent.objects.filter(event="signin.refused").count() == before + 1


def test_the_ip_limit_blocks_an_ip_across_usernames(en, settings, clock):
    settings.LOCKOUT_IP_FAILURE_LIMIT = 12
    names = [f"user{n}" for n in range(6)]
    codes = []
    for name in names:
        codes += [r.status_code for r in fail(en, name, 2)]
    assert codes == [HTTPStatus.OK] * 11 + [HTTPStatus.TOO_MANY_REQUESTS]
    blocked = fail(en, "someone.else", 1)[0]
    assert blocked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many failed sign-ins from your network" in blocked.content.decode()
    assert Lock.objects.get(scope=Scope.IP).ip == "127.0.0.1"
    # No account got locked, and another client is not affected.
    assert not Lock.objects.exclude(scope=Scope.IP).exists()
    assert fail(browser(REMOTE_ADDR="198.51.100.7"), "someone.else", 1)[0].status_code == 200
    clock.advance(minutes=30, seconds=1)
    assert fail(en, "someone.else", 1)[0].status_code == HTTPStatus.OK


def test_the_ip_block_does_not_stop_a_known_browser(known, user, settings):
    settings.LOCKOUT_IP_FAILURE_LIMIT = 6
    for n in range(3):
        fail(browser(), f"user{n}", 2)
    assert fail(browser(), "user9", 1)[0].status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert sign_in(known, "zhang.wei").status_code == HTTPStatus.FOUND


def test_trusted_networks_are_exempt_from_the_ip_block_not_from_the_account_lock(settings):
    settings.LOCKOUT_IP_FAILURE_LIMIT = 6
    settings.LOCKOUT_TRUSTED_NETWORKS = ["10.8.0.0/16"]
    office = browser(REMOTE_ADDR="10.8.3.4")
    for n in range(5):
        assert {r.status_code for r in fail(office, f"user{n}", 2)} == {HTTPStatus.OK}
    assert ip_status(ip="10.8.3.4") == (0, None)
    assert fail(office, "user0", 3)[-1].status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert lock_status(username="user0").locked


def test_a_forged_x_forwarded_for_is_counted_against_the_real_client(settings, user):
    """Behind one trusted proxy (10.0.0.1) the client is the last X-Forwarded-For entry; what the
    client wrote before it is ignored: changing it neither evades nor frames."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOCKOUT_IP_FAILURE_LIMIT = 6
    proxy = browser(REMOTE_ADDR="10.0.0.1")
    for n in range(6):
        forged = f"192.0.2.{n}, 198.51.100.{n}"  # a different "origin" every time
        proxy.post(
            "/accounts/login/",
            {"username": f"user{n}", "password": "x" * 12},
            HTTP_X_FORWARDED_FOR=f"{forged}, 203.0.113.50",
        )
    _failures, reference = ip_status(ip="203.0.113.50")
    assert reference == Lock.objects.get(scope=Scope.IP, key="203.0.113.50").reference
    # The real client stays blocked whatever it forges ...
    response = proxy.post(
        "/accounts/login/",
        {"username": "zhang.wei", "password": "x" * 12},
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50",
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # ... and the addresses it forged were never counted (nobody framed).
    for n in range(6):
        assert ip_status(ip=f"192.0.2.{n}") == (0, None)
        assert ip_status(ip=f"198.51.100.{n}") == (0, None)
    other = proxy.post(
        "/accounts/login/",
        {"username": "zhang.wei", "password": "x" * 12},
        HTTP_X_FORWARDED_FOR="192.0.2.1",
    )
    assert other.status_code == HTTPStatus.OK
    assert lock_status(username="zhang.wei").failures == 1


def test_a_cache_outage_skips_the_ip_limit_but_never_the_account_lock(user, monkeypatch, caplog):
    from django.core.cache import cache

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get_many", down)
    monkeypatch.setattr(cache, "get", down)
    if hasattr(cache, "client"):  # portal.cache.RedisCache: the per-IP count's one round trip
        monkeypatch.setattr(cache, "client", down)
    client = browser()
    assert sign_in(client, "zhang.wei").status_code == HTTPStatus.FOUND
    client.post("/accounts/logout/")
    assert fail(browser(), "zhang.wei", 5)[-1].status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "limit signin:ip: its store did not answer (ConnectionError)" in caplog.text


def test_a_known_browser_stays_known_across_a_secret_key_rotation(known, user, settings):
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-rotated-key-" + "r" * 50
    settings.SECRET_KEY_FALLBACKS = [old_key]
    fail(browser(REMOTE_ADDR="203.0.113.9"), "zhang.wei", 5)
    assert sign_in(known, "zhang.wei").status_code == HTTPStatus.FOUND
    known.post("/accounts/logout/")
    # That sign-in wrote the cookie again under the new key: retiring the old one changes nothing.
    settings.SECRET_KEY_FALLBACKS = []
    assert sign_in(known, "zhang.wei").status_code == HTTPStatus.FOUND
