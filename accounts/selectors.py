"""Reads on accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower

from accounts.models import User, UserSession, normalize_identifier


def user_find_by_identifier(*, identifier: str, with_second_step: bool = False) -> User | None:
    """The active or inactive user a typed username, email or phone number points at, or None.

    Usernames and emails compare case- and whitespace-insensitively; phone numbers are parsed in
    the default region. Never raises on garbage input. ``with_second_step``: the same query also
    tells whether the user has a confirmed TOTP device or backup-code set
    (``user.has_second_step``), which a sign-in needs right after the password.
    """
    value = normalize_identifier(identifier)
    if not value or len(value) > 254:
        return None
    # LOWER(...) = value, not iexact's UPPER(...) = UPPER(value): the case-insensitive unique
    # indexes are on LOWER(username) and LOWER(email) (the latter only where email is not empty),
    # so each alternative is an index lookup (``tests/accounts/test_lookup_plan.py``).
    query = Q(username_ci=value) | (Q(email_ci=value) & ~Q(email=""))
    phone = _as_e164(value)
    if phone:
        query |= Q(phone=phone)
    users = User.objects.alias(username_ci=Lower("username"), email_ci=Lower("email")).filter(query)
    if with_second_step:
        users = users.annotate(has_second_step=_second_step_exists())
    matches = list(users[:2])
    if len(matches) != 1:
        return None
    return matches[0]


def _second_step_exists():
    """``EXISTS`` over the confirmed TOTP devices and backup-code sets, as written SQL: building
    the same with ``Exists()`` costs more CPU than the round trip it saves."""
    from django.db import connection
    from django.db.models import BooleanField
    from django.db.models.expressions import RawSQL
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_id = f"{connection.ops.quote_name(User._meta.db_table)}.{connection.ops.quote_name('id')}"
    tables = [connection.ops.quote_name(m._meta.db_table) for m in (TOTPDevice, StaticDevice)]
    # Only our own table and column names are interpolated; there are no parameters.
    parts = [f"EXISTS (SELECT 1 FROM {t} WHERE user_id = {user_id} AND confirmed)" for t in tables]  # noqa: S608
    return RawSQL(" OR ".join(parts), [], output_field=BooleanField())  # noqa: S611


def _as_e164(value: str) -> str | None:
    from messaging.errors import InvalidRecipient
    from messaging.recipients import phone_normalize

    if not any(ch.isdigit() for ch in value):
        return None
    try:
        return phone_normalize(value)
    except InvalidRecipient:
        return None


def sessions_open_for_user(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")


# --- The security page ----------------------------------------------------------------------
@dataclass(frozen=True)
class SignInRow:
    at: datetime
    ip: str | None
    browser: str
    known_browser: bool
    current: bool
    open: bool
    session_key: str


def signins_recent_for_user(
    *, user: User, current_session_key: str | None = None, limit: int = 10
) -> list[SignInRow]:
    """The last sign-ins (one per session the sign-in created), newest first."""
    from portal.net import browser_label

    rows = UserSession.objects.filter(user=user).order_by("-created_at")[:limit]
    return [
        SignInRow(
            at=row.created_at,
            ip=row.ip,
            browser=browser_label(row.user_agent),
            known_browser=row.known_browser,
            current=bool(current_session_key) and row.session_key == current_session_key,
            open=row.ended_at is None,
            session_key=row.session_key,
        )
        for row in rows
    ]


def unlock_tickets_for_user(*, user: User, limit: int = 10) -> list:
    """The user's unlock requests (tickets app), newest first."""
    from tickets.models import Ticket

    return list(Ticket.objects.filter(user=user).order_by("-pk")[:limit])
