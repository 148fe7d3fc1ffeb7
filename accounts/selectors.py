"""Reads on accounts."""

from __future__ import annotations

from functools import cache

from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower

from accounts.identifiers import phone_e164
from accounts.models import User, normalize_identifier


def user_find_by_identifier(*, identifier: str, with_second_step: bool = False) -> User | None:
    """The active or inactive user a typed username, email or phone number points at, or None.

    Usernames and emails compare case- and whitespace-insensitively; phone numbers are parsed in
    the default region. Never raises on garbage input. ``with_second_step``: the same query also
    tells whether the user has a confirmed TOTP device or backup-code set
    (``user.has_second_step``), which a sign-in needs right after the password.

    ``LOWER(...) = value``, not iexact's ``UPPER() = UPPER()``, because the case-insensitive
    unique indexes are on ``LOWER(username)`` and ``LOWER(email)`` (the latter where email is not
    empty), so each alternative is an index lookup (``tests/accounts/test_lookup_plan.py``).
    """
    value = normalize_identifier(identifier)
    if not value or len(value) > 254:
        return None
    found = Q(u=value) | Q(e=value, email__gt="")
    phone = phone_e164(value)
    if phone:
        found |= Q(phone=phone)
    rows = list(_users(with_second_step=with_second_step).filter(found)[:2])
    return rows[0] if len(rows) == 1 else None


@cache
def _users(*, with_second_step: bool) -> QuerySet[User]:
    """The lookup's queryset before its filter (the lowered columns it compares; with the
    second step, its flag), built once per process: ``filter()`` returns a new queryset and this
    one is never evaluated. Resolving these expressions again on every sign-in cost a fifth of
    the lookup."""
    users = User.objects.alias(u=Lower("username"), e=Lower("email"))
    if with_second_step:
        users = users.annotate(has_second_step=_second_step())
    return users


def _second_step() -> RawSQL:
    """Whether the looked-up user has a confirmed TOTP device or backup-code set: the ``EXISTS``
    pair ``user_has_second_step`` runs (the ORM's ``Exists`` compiles to the same at a
    millisecond more per sign-in; ``tests/test_db_statements.py`` compares them)."""
    # Only our own table and column names are interpolated (``_second_step_sql``).
    return RawSQL(_second_step_sql(), [], output_field=BooleanField())  # noqa: S611


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
