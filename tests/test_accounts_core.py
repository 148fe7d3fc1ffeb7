"""Password rules, password history and session bookkeeping shared by every flow."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError

from accounts.selectors import user_find_by_identifier
from accounts.services import user_password_set
from audit.models import AuditEvent
from signin.models import UserSession
from tests.factories import UserFactory


def _codes(exc: ValidationError) -> set[str]:
    return {e.code for e in exc.error_list}


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("elevenchars", "password_too_short"),
        ("password1234", "password_too_common"),
        ("zhang.wei.zhang", "password_too_similar"),
        ("x" * 129, "password_too_long"),
    ],
)
def test_refused_passwords_say_why(db, password, code):
    user = UserFactory(username="zhang.wei")
    with pytest.raises(ValidationError) as exc:
        user_password_set(user=user, raw_password=password, reason="change")
    assert code in _codes(exc.value)
    assert not AuditEvent.objects.filter(event="account.password_changed").exists()


@pytest.mark.parametrize(
    "password",
    [
        "a sentence that is long enough",
        "y" * 64,
        "z" * 128,
        "我的密码是一只快乐的大熊猫啊",
        "🔐🐼🌸🍵🚲📚🎋🏮🐉🌙🍜🎐",
    ],
)
def test_long_unicode_and_emoji_passwords_are_accepted(db, password):
    user = UserFactory()
    user_password_set(user=user, raw_password=password, reason="change")
    user.refresh_from_db()
    assert user.check_password(password)
    assert user.password_changed_at is not None


def test_current_and_last_five_passwords_are_refused(db):
    user = UserFactory(password="the very first secret")
    history = [f"remembered passphrase {n}" for n in range(6)]
    for pw in history:
        user_password_set(user=user, raw_password=pw, reason="change")
    for recent in history[-6:]:  # the current one and the five before it
        with pytest.raises(ValidationError) as exc:
            user_password_set(user=user, raw_password=recent, reason="change")
        assert "password_reused" in _codes(exc.value)
    # older than the history: allowed again
    user_password_set(user=user, raw_password="the very first secret", reason="change")
    assert user.password_history.count() == 5


def test_password_change_ends_other_sessions_only(client, db):
    user = UserFactory()
    from django.test import Client

    other = Client()
    other.force_login(user)
    client.force_login(user)
    for c in (client, other):
        key = c.session.session_key
        UserSession.objects.create(
            user=user, session_key=key, created_at=user.date_joined, last_seen_at=user.date_joined
        )
    keep = client.session.session_key
    user_password_set(
        user=user, raw_password="a brand new passphrase", reason="change", keep_session_key=keep
    )
    assert Session.objects.filter(session_key=keep).exists()
    assert not Session.objects.filter(session_key=other.session.session_key).exists()
    assert UserSession.objects.filter(ended_at__isnull=True).get().session_key == keep
    event = AuditEvent.objects.get(event="account.password_changed")
    assert event.data == {"reason": "change", "sessions_ended": 1}
    assert str(client.session[SESSION_KEY]) == str(user.pk)


@pytest.mark.parametrize(
    "typed", ["Zhang.Wei", "  zhang.wei ", "ZHANG@corp.cn", "138 0013 8000", "+86 138-0013-8000"]
)
def test_identifier_lookup_by_username_email_or_phone(db, typed):
    user = UserFactory(username="zhang.wei", email="zhang@corp.cn", phone="+8613800138000")
    assert user_find_by_identifier(identifier=typed) == user


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("", False),
        ("nobody", False),
        ("x" * 10_000, False),
        ("+999", False),
        ("\ud800", False),
        ("\x00zhang.wei", True),  # control characters are dropped before matching
    ],
)
def test_identifier_lookup_never_raises(db, typed, found):
    user = UserFactory(username="zhang.wei")
    assert user_find_by_identifier(identifier=typed) == (user if found else None)
