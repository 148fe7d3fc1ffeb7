"""Writes on accounts. Keyword-only, typed, atomic; every security event writes an audit row."""

from __future__ import annotations

from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts import conf, sessions
from accounts.errors import WrongPassword
from accounts.models import PasswordHistory, User
from accounts.passwords import password_check
from accounts.roles import ROLE_PERMISSIONS
from accounts.signals import password_changed
from audit.services import audit_record
from messaging.services import messaging_notify_user
from portal.net import browser_label, client_ip, user_agent


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
    ``ValidationError`` with the reasons when the password is refused (by our rules or by the
    company directory, ``ACCOUNTS_PASSWORD_WRITE``); nothing changes then.
    Once it commits, ``accounts.signals.password_changed`` is sent (apps' sign-ins end).
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
    ended = sessions.sessions_end(user=user, except_session_key=keep_session_key)
    write = conf.get("ACCOUNTS_PASSWORD_WRITE")
    if write:  # last: its refusal (ValidationError) rolls back everything above
        import_string(write)(user=user, raw_password=raw_password, reason=reason)
    audit_record(
        event="account.password_changed",
        request=request,
        actor=actor,
        user=user,
        subject=user.username,
        data={"reason": reason, "sessions_ended": ended},
    )
    transaction.on_commit(
        lambda: password_changed.send(sender=User, user=user, reason=reason), robust=True
    )


def current_password_confirm(
    *, request: HttpRequest, user: User, password: str, refused_event: str, data: dict
) -> None:
    """A signed-in user proves it is still them by typing the current password before a
    sensitive change. The check goes through ``authenticate()``, so a wrong password counts
    toward the sign-in lockout like any other. On a mismatch, ``refused_event`` is audited (in
    its own transaction: the refusal must stay on record) and ``WrongPassword`` is raised."""
    checked = authenticate(request, username=user.get_username(), password=password)
    if checked is not None and checked.pk == user.pk:
        return
    with transaction.atomic():
        audit_record(
            event=refused_event,
            request=request,
            user=user,
            subject=user.get_username(),
            data=data,
        )
    raise WrongPassword()


def user_password_change(
    *, request: HttpRequest, user: User, current_password: str, new_password: str
) -> None:
    """The signed-in user changes the password: the current one is checked through
    ``authenticate()`` (a wrong one counts toward the sign-in lockout), every other session ends,
    this one stays signed in, and every verified contact gets a notice.

    Raises ``WrongPassword`` or ``ValidationError`` (the new password's reasons).
    """
    current_password_confirm(
        request=request,
        user=user,
        password=current_password,
        refused_event="account.password_change_refused",
        data={"reason": "wrong_current_password"},
    )
    old_key = request.session.session_key
    with transaction.atomic():
        user_password_set(
            user=user,
            raw_password=new_password,
            reason="change",
            request=request,
            actor=user,
            keep_session_key=old_key,
        )
        user.refresh_from_db()
        messaging_notify_user(
            user=user,
            kind="account_password_changed",
            context={
                "changed_at": user.password_changed_at,
                "ip": client_ip(request),
                "browser": browser_label(user_agent(request)),
                "how": "change",
            },
        )
    update_session_auth_hash(request, user)
    sessions.session_rekey(old_key=old_key, new_key=request.session.session_key)


@transaction.atomic
def two_step_remove(*, user: User, actor: User, request: HttpRequest | None = None) -> bool:
    """An admin removes a user's authenticator and backup codes (lost phone). The user is told;
    staff then set up a new one before reaching the admin again."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    removed, _detail = TOTPDevice.objects.filter(user=user).delete()
    removed_static, _detail = StaticDevice.objects.filter(user=user).delete()
    if not removed and not removed_static:
        return False
    audit_record(
        event="twostep.removed",
        request=request,
        actor=actor,
        user=user,
        subject=user.get_username(),
    )
    messaging_notify_user(
        user=user,
        kind="two_step_disabled",
        context={
            "changed_at": timezone.now(),
            "ip": client_ip(request) if request is not None else "",
        },
    )
    return True
