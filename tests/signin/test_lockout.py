"""The account lock: 5th failure, fixed length, auto-unlock, no extension, doubling, reset."""

from __future__ import annotations

import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt

from audit.models import AuditEvent
from signin.models import Lock
from signin.selectors import lock_find_by_reference, lock_status
from signin.signals import account_locked, account_unlocked
from signin.unlock import lock_clear
from tests.signin.conftest import fail, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def received():
    events: list[tuple[str, dict]] = []

    def on_locked(sender, **kwargs):
        events.append(("locked", kwargs))

    def on_unlocked(sender, **kwargs):
        events.append(("unlocked", kwargs))

    account_locked.connect(on_locked)
    account_unlocked.connect(on_unlocked)
    yield events
    account_locked.disconnect(on_locked)
    account_unlocked.disconnect(on_unlocked)


def test_fifth_failure_locks_with_429_retry_after_and_the_lock_page(en, user, clock):
    responses = fail(en, "zhang.wei", 4)
    assert [r.status_code for r in responses] == [HTTPStatus.OK] * 4
    first, third = responses[0].content.decode(), responses[2].content.decode()
    assert "The username or password is not right." in first
    assert "attempts left" not in first  # only from the third failure on
    assert "2 attempts left before sign-in is locked for 30 minutes." in third
    assert (
        "1 attempt left before sign-in is locked for 30 minutes." in responses[3].content.decode()
    )
    assert not lock_status(username="zhang.wei").locked

    fifth = fail(en, "zhang.wei", 1)[0]
    assert fifth.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert fifth["Retry-After"] == str(30 * 60)
    assert "no-store" in fifth["Cache-Control"]
    page = fifth.content.decode()
    status = lock_status(username="zhang.wei")
    assert status.locked and status.failures == 5
    assert re.fullmatch(r"LK-[2-9A-HJKMNP-Z]{5}", status.reference)
    assert status.locked_until == clock.now() + timedelta(minutes=30)
    assert "This account is temporarily locked" in page
    assert "2026-11-24 09:30 (Asia/Shanghai)" in page  # local unlock time
    assert "in 30 minutes" in page
    assert status.reference in page
    assert 'href="/accounts/password/reset/"' in page
    assert f'href="/tickets/unlock/?username=zhang.wei&amp;ref={status.reference}"' in page
    assert "Wait" in page
    assert '<html lang="en">' in page and "site-header" in page  # in the portal's layout

    # The page links to itself by reference; nothing is stored for a refused client.
    assert f'href="/accounts/locked/?ref={status.reference}"' in page
    assert "sessionid" not in fifth.cookies
    again = en.get("/accounts/locked/", {"ref": status.reference.lower()})
    assert again.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert status.reference in again.content.decode()
    clock.advance(minutes=31)
    over = en.get("/accounts/locked/", {"ref": status.reference}).content.decode()
    assert "The lock has ended" in over
    general = en.get("/accounts/locked/", {"ref": "LK-22222"})
    assert general.status_code == HTTPStatus.OK and "Locked out?" in general.content.decode()


def test_refused_one_second_before_the_end_admitted_one_second_after(en, user, clock, received):
    fail(en, "zhang.wei", 5)
    clock.advance(minutes=30, seconds=-1)
    refused = sign_in(en, "zhang.wei")
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert refused["Retry-After"] == "1"
    assert "_auth_user_id" not in en.session
    clock.advance(seconds=2)
    admitted = sign_in(en, "zhang.wei")
    assert admitted.status_code == HTTPStatus.FOUND
    assert int(en.session["_auth_user_id"]) == user.pk


def test_attempts_during_the_lock_do_not_extend_it(en, user, clock, counting_hasher):
    fail(en, "zhang.wei", 5)
    until = lock_status(username="zhang.wei").locked_until
    counting_hasher.calls = 0
    for _ in range(10):
        clock.advance(minutes=2)
        response = fail(en, "zhang.wei", 1)[0]
        assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert counting_hasher.calls == 0  # refused before any hashing
    status = lock_status(username="zhang.wei")
    assert status.locked_until == until and status.failures == 5
    assert AuditEvent.objects.filter(event="signin.refused").count() == 10
    clock.set(until + timedelta(seconds=1))
    assert sign_in(en, "zhang.wei").status_code == HTTPStatus.FOUND


def test_a_lock_within_24_hours_of_the_last_doubles_up_to_24_hours(en, user, clock):
    lengths = []
    for _ in range(8):
        fail(en, "zhang.wei", 5)
        lock = Lock.objects.order_by("-locked_at", "-pk").first()
        lengths.append(lock.minutes)
        clock.set(lock.locked_until + timedelta(minutes=1))
    assert lengths == [30, 60, 120, 240, 480, 960, 1440, 1440]
    # A day and more after the last lock ended, a new lock is back to the base length.
    clock.advance(hours=24)
    fail(en, "zhang.wei", 5)
    assert Lock.objects.order_by("-locked_at", "-pk").first().minutes == 30


def test_a_success_resets_the_count(en, user):
    fail(en, "zhang.wei", 4)
    assert sign_in(en, "zhang.wei").status_code == HTTPStatus.FOUND
    en.post("/accounts/logout/")
    assert lock_status(username="zhang.wei").failures == 0
    assert [r.status_code for r in fail(en, "zhang.wei", 4)] == [HTTPStatus.OK] * 4
    assert not lock_status(username="zhang.wei").locked


def test_failures_older_than_the_cooloff_are_forgotten(en, user, clock):
    fail(en, "zhang.wei", 4)
    clock.advance(minutes=31)
    assert fail(en, "zhang.wei", 1)[0].status_code == HTTPStatus.OK
    assert lock_status(username="zhang.wei").failures == 1


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "zhang.wei",
            "Zhang.Wei",
            "  ZHANG.WEI  ",
            "zhang.wei@corp.example.cn",
            "Zhang.Wei@CORP.example.cn",
        ],
    ],
)
def test_case_whitespace_and_the_email_count_for_one_account(en, user, spellings):
    for typed in spellings:
        fail(en, typed, 1)
    status = lock_status(username="ZHANG.WEI@corp.example.cn")
    assert status.locked
    assert status.username == "zhang.wei"
    assert sign_in(en, "zhang.wei").status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_unknown_names_are_counted_and_locked_like_real_ones(en, user, clock):
    real = fail(en, "zhang.wei", 5)
    ghost = fail(en, "no.such.person", 5)
    for a, b in zip(real, ghost, strict=True):
        assert a.status_code == b.status_code
        assert _normalised(a) == _normalised(b)
    status = lock_status(username="no.such.person")
    assert status.locked and status.failures == 5 and status.reference
    assert status.username == "no.such.person"
    # Its lock runs out the same way.
    clock.advance(minutes=31)
    assert fail(en, "no.such.person", 1)[0].status_code == HTTPStatus.OK


def _normalised(response) -> str:
    """A page with the parts that legitimately differ (typed name, reference, tokens) blanked."""
    text = response.content.decode()
    text = re.sub(r"LK-[0-9A-Z]{5}", "LK-?", text)
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return text.replace("no.such.person", "NAME").replace("zhang.wei", "NAME")


def test_lock_references_are_found_and_give_the_username(en, user):
    fail(en, "Zhang.Wei@corp.example.cn", 5)
    reference = lock_status(username="zhang.wei").reference
    found = lock_find_by_reference(reference=reference.lower().replace("lk-", ""))
    assert found.locked and found.reference == reference and found.username == "zhang.wei"
    assert lock_find_by_reference(reference="LK-22222") is None
    assert lock_find_by_reference(reference="garbage\x00") is None


def test_reset_lifts_the_lock(en, user, received, django_capture_on_commit_callbacks):
    fail(en, "zhang.wei", 5)
    assert AccessAttempt.objects.filter(username="zhang.wei").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert lock_clear(username="zhang.wei@corp.example.cn", how="reset") is True
    assert not lock_status(username="zhang.wei").locked
    assert not AccessAttempt.objects.filter(username="zhang.wei").exists()
    lock = Lock.objects.get()
    assert lock.ended_how == "reset" and lock.ended_at is not None
    event = AuditEvent.objects.get(event="signin.unlocked")
    assert event.user == user and event.data["how"] == "reset"
    assert (
        "unlocked",
        {"signal": account_unlocked, "username": "zhang.wei", "user": user, "how": "reset"},
    ) in received
    assert sign_in(en, "zhang.wei").status_code == HTTPStatus.FOUND
    # Nothing locked: nothing to clear, nothing announced.
    assert lock_clear(username="zhang.wei", how="reset") is False
    with pytest.raises(ValueError):
        lock_clear(username="zhang.wei", how="expired")


def test_a_reset_lifts_a_lock_taken_under_the_username_the_account_had_before(en, user):
    """An admin renamed the account while it was locked: the owner's reset still ends that lock
    (and its counters), and the new name signs in."""
    fail(en, "zhang.wei", 5)
    user.username = "wei.zhang"
    user.save()
    assert lock_clear(username="wei.zhang", how="reset") is True
    lock = Lock.objects.get()
    assert lock.key == "zhang.wei" and lock.ended_how == "reset"
    assert not AccessAttempt.objects.filter(username="zhang.wei").exists()
    assert sign_in(en, "wei.zhang").status_code == HTTPStatus.FOUND


def test_lock_signal_and_audit(en, user, received, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        fail(en, "zhang.wei", 5)
    lock = Lock.objects.get()
    kinds = [name for name, _ in received]
    assert kinds == ["locked"]
    payload = received[0][1]
    assert payload["username"] == "zhang.wei" and payload["user"] == user
    assert payload["reference"] == lock.reference and payload["locked_until"] == lock.locked_until
    failed = AuditEvent.objects.filter(event="signin.failed").order_by("created_at", "id")
    assert [e.data["failure"] for e in failed] == [1, 2, 3, 4, 5]
    assert all(e.user == user and e.ip == "127.0.0.1" for e in failed)
    locked = AuditEvent.objects.get(event="signin.locked")
    assert locked.data["reference"] == lock.reference
    assert lock.sources[0]["ip"] == "127.0.0.1" and lock.sources[0]["failures"] == 5


def test_pages_in_simplified_chinese(user, django_capture_on_commit_callbacks):
    from django.core import mail
    from django.test import Client

    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    responses = fail(zh, "zhang.wei", 3)
    page = responses[2].content.decode()
    assert "用户名或密码不正确。" in page and "还可尝试 2 次，之后登录将被锁定 30 分钟。" in page
    with django_capture_on_commit_callbacks(execute=True):
        locked = fail(zh, "zhang.wei", 2)[-1]
    page = locked.content.decode()
    assert "该账号暂时被锁定" in page and "立即重置密码" in page and "还有 30 分钟" in page
    assert "锁定" in mail.outbox[0].subject  # the owner's language (zh-hans by default)
