"""Writes on accounts. Keyword-only, typed, atomic; every security event writes an audit row."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts import conf
from accounts.models import PasswordHistory, User, UserSession
from accounts.passwords import password_check
from accounts.roles import ROLE_PERMISSIONS
from audit.services import audit_record
from portal.net import client_ip, user_agent


@transaction.atomic
def roles_sync() -> dict[str, list[str]]:
    """Create each role's group with exactly the permissions listed in ``accounts.roles``."""
    result: dict[str, list[str]] = {}
    for role, specs in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for spec in specs:
            app_label, codename = spec.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is None:
                raise LookupError(f"role {role!r} lists {spec!r}, which does not exist")
            perms.append(perm)
        group.permissions.set(perms)
        result[role] = sorted(specs)
    return result


@transaction.atomic
def user_password_set(
    *,
    user: User,
    raw_password: str,
    reason: str,
    request: HttpRequest | None = None,
    actor: User | None = None,
    keep_session_key: str | None = None,
) -> None:
    """Set a new password after checking every rule; keep the old hash in the history; end every
    session of the user except ``keep_session_key``; audit ``account.password_changed``.

    ``reason`` says which flow changed it (``reset``, ``change``, ``expired``). Raises
    ``ValidationError`` with the reasons when the password is refused; nothing changes then.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    password_check(user=user, raw_password=raw_password)
    now = timezone.now()
    if user.has_usable_password():
        PasswordHistory.objects.create(user=user, password=user.password, created_at=now)
        keep = conf.get("PASSWORD_HISTORY_COUNT")
        stale = user.password_history.values_list("pk", flat=True)[keep:]
        PasswordHistory.objects.filter(pk__in=list(stale)).delete()
    user.set_password(raw_password)
    user.password_changed_at = now
    user.save(update_fields=["password", "password_changed_at"])
    ended = sessions_end_for_user(user=user, except_session_key=keep_session_key)
    audit_record(
        event="account.password_changed",
        request=request,
        actor=actor,
        user=user,
        subject=user.username,
        data={"reason": reason, "sessions_ended": ended},
    )


@transaction.atomic
def session_register(*, request: HttpRequest, user: User, known_browser: bool) -> UserSession:
    """Record the session a sign-in just created (call after ``login()``)."""
    now = timezone.now()
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    record, _created = UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "created_at": now,
            "last_seen_at": now,
            "ip": client_ip(request),
            "user_agent": user_agent(request),
            "known_browser": known_browser,
            "ended_at": None,
        },
    )
    return record


@transaction.atomic
def sessions_end_for_user(*, user: User, except_session_key: str | None = None) -> int:
    """End every open session of ``user`` (but one, when given). Returns how many ended."""
    open_sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if except_session_key:
        open_sessions = open_sessions.exclude(session_key=except_session_key)
    keys = list(open_sessions.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    # Sessions no sign-in registered (none should exist) still die on a password change: Django
    # checks each session's password hash on its next request (SessionAuthenticationMiddleware).
    return open_sessions.update(ended_at=timezone.now())


@transaction.atomic
def session_touch(*, session_key: str, now=None) -> None:
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        last_seen_at=now or timezone.now()
    )
