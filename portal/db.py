"""Several writes in one message to the database, for the sign-in's records only.

On a hot path (a sign-in) the cost of a write is the round trip, not the SQL: five small writes
in one transaction are seven messages (``BEGIN``, five statements, ``COMMIT``). Where no write
needs another's result, they can travel together: each statement is written out from the
model's metadata and its fields' own value conversion (``insert_statement``,
``update_by_pk_statement``: what ``Model.save()`` and ``QuerySet.update()`` send for plain
values) and ``run_together`` sends them as one message, which PostgreSQL runs in order, in the
current transaction (or as one implicit transaction of its own), stopping at the first error.
Other databases run them one by one.

Only ``signin.services.signin_succeeded`` (and the statements it gathers) and the end of the
single sign-on's code exchange (``sso.services.code_exchange_record``) use this; every other
write goes through the ORM. ``tests/portal/test_db_statements.py`` compares what these statements
write with what the ORM writes, on SQLite and PostgreSQL, and names what to re-check when
Django's major version changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

Statement = tuple[str, Sequence[Any]]


def insert_statement(
    obj: Model,
    *,
    returning_pk: bool = False,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> Statement:
    """``INSERT`` of one unsaved instance (plain values, no expressions); with ``unique_fields``
    and ``update_fields`` an ``ON CONFLICT (...) DO UPDATE`` (as
    ``bulk_create(update_conflicts=True)``); ``returning_pk``: the new row's primary key."""
    opts = obj._meta
    qn = connection.ops.quote_name
    # As Model.save(): every local column but a generated one, and the auto primary key unset.
    fields = [
        f
        for f in opts.local_concrete_fields
        if not f.generated and not (f is opts.auto_field and obj.pk is None)
    ]
    values = [f.pre_save(obj, True) for f in fields]
    if any(hasattr(v, "resolve_expression") for v in values):
        raise TypeError("insert_statement takes plain values; save an expression with the ORM")
    if any(hasattr(f, "get_placeholder") for f in fields):  # binary, array, range, geometry
        raise TypeError("insert_statement writes %s placeholders; save this model with the ORM")
    params = [
        f.get_db_prep_save(v, connection=connection) for f, v in zip(fields, values, strict=True)
    ]
    columns = ", ".join(qn(f.column) for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(opts.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if unique_fields:
        conflict = ", ".join(qn(opts.get_field(name).column) for name in unique_fields)
        updates = [qn(opts.get_field(name).column) for name in update_fields]
        assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in updates)
        sql += f" ON CONFLICT({conflict}) DO UPDATE SET {assignments}"
    if returning_pk:
        sql += f" RETURNING {qn(opts.db_table)}.{qn(opts.pk.column)}"
    return sql, params


def update_by_pk_statement(model: type[Model], pk: Any, **values: Any) -> Statement:
    """``UPDATE`` of some columns of one row by primary key, written out from the model's
    metadata (what ``model.objects.filter(pk=pk).update(**values)`` runs for plain values),
    without the compiler."""
    opts = model._meta
    qn = connection.ops.quote_name
    fields = [opts.get_field(name) for name in values]
    assignments = ", ".join(f"{qn(field.column)} = %s" for field in fields)
    params = [field.get_db_prep_save(values[field.name], connection=connection) for field in fields]
    params.append(opts.pk.get_db_prep_value(pk, connection))
    where = f"{qn(opts.pk.column)} = %s"
    return f"UPDATE {qn(opts.db_table)} SET {assignments} WHERE {where}", params  # noqa: S608


def run_together(statements: Sequence[Statement]) -> list[tuple]:
    """Run the statements in order, in one round trip on PostgreSQL. Returns the rows of the
    last one (empty when it returns none)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("; ".join(sql for sql, _ in statements), _flat(statements))
            for _ in statements[1:]:
                cursor.nextset()
        else:
            for sql, params in statements:
                cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _flat(statements: Sequence[Statement]) -> list[Any]:
    return [param for _sql, params in statements for param in params]
