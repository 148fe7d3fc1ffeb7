"""Reads on accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db.models import QuerySet

from accounts.identifiers import phone_e164
from accounts.models import User, UserSession, normalize_identifier


def user_find_by_identifier(*, identifier: str, with_second_step: bool = False) -> User | None:
    """The active or inactive user a typed username, email or phone number points at, or None.

    Usernames and emails compare case- and whitespace-insensitively; phone numbers are parsed in
    the default region. Never raises on garbage input. ``with_second_step``: the same query also
    tells whether the user has a confirmed TOTP device or backup-code set
    (``user.has_second_step``), which a sign-in needs right after the password.

    Every sign-in and reset runs this, so it is written SQL, its row loaded straight into the
    model (building the query with the ORM, or loading through a raw queryset, cost more CPU than
    the round trip): ``LOWER(...) = value``, not iexact's ``UPPER() = UPPER()``,
    because the case-insensitive unique indexes are on ``LOWER(username)`` and ``LOWER(email)``
    (the latter where email is not empty), so each alternative is an index lookup
    (``tests/accounts/test_lookup_plan.py``).
    """
    value = normalize_identifier(identifier)
    if not value or len(value) > 254:
        return None
    phone = phone_e164(value)
    sql, fields, converters = _lookup(by_phone=bool(phone), with_second_step=with_second_step)
    params = [value, value, phone] if phone else [value, value]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if len(rows) != 1:
        return None
    values = list(rows[0])
    for index, convert in converters:
        values[index] = convert(values[index], None, connection)
    user = User.from_db(connection.alias, fields, values[: len(fields)])
    if with_second_step:
        user.has_second_step = bool(values[-1])
    return user


@lru_cache(maxsize=8)
def _lookup(*, by_phone: bool, with_second_step: bool) -> tuple[str, list[str], list]:
    """The lookup's SQL, the field names its first columns load (every concrete field, in the
    model's order, for ``Model.from_db``) and the database converters those columns need (the
    same ones a queryset applies: SQLite's dates and booleans, the phone number's own)."""
    from django.db import connection

    qn = connection.ops.quote_name
    table = qn(User._meta.db_table)
    fields = list(User._meta.concrete_fields)
    column = {
        name: f"{table}.{qn(User._meta.get_field(name).column)}"
        for name in ("username", "email", "phone")
    }
    where = [
        f"LOWER({column['username']}) = %s",
        f"(LOWER({column['email']}) = %s AND {column['email']} <> '')",
    ]
    if by_phone:
        where.append(f"{column['phone']} = %s")
    selected = [f"{table}.{qn(field.column)}" for field in fields]
    if with_second_step:
        selected.append(f"{_second_step_sql()} AS has_second_step")
    converters = []
    for index, field in enumerate(fields):
        expression = field.get_col(User._meta.db_table)
        found = connection.ops.get_db_converters(expression) + expression.get_db_converters(
            connection
        )
        converters.extend((index, convert) for convert in found)
    # Only our own table and column names are interpolated; values are parameters.
    sql = f"SELECT {', '.join(selected)} FROM {table} WHERE {' OR '.join(where)} LIMIT 2"  # noqa: S608
    return sql, [field.attname for field in fields], converters


def user_has_second_step(*, user_id: int) -> bool:
    """Whether the user has a confirmed TOTP device or backup-code set (one query)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_second_step_sql(user_id='%s')}", [user_id, user_id])
        return bool(cursor.fetchone()[0])


def _second_step_sql(*, user_id: str | None = None) -> str:
    """``EXISTS`` over the confirmed TOTP devices and backup-code sets of a user: the lookup's
    row (by default) or ``user_id`` (a placeholder)."""
    from django.db import connection
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    qn = connection.ops.quote_name
    user_id = user_id or f"{qn(User._meta.db_table)}.{qn(User._meta.pk.column)}"
    tables = [qn(m._meta.db_table) for m in (TOTPDevice, StaticDevice)]
    # Only our own table and column names (or a placeholder) are interpolated.
    parts = [f"EXISTS (SELECT 1 FROM {t} WHERE user_id = {user_id} AND confirmed)" for t in tables]  # noqa: S608
    return " OR ".join(parts)


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

