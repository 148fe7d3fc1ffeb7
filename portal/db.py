"""Several writes in one message to the database.

On a hot path (a sign-in) the cost of a write is the round trip, not the SQL: five small writes
in one transaction are seven messages (``BEGIN``, five statements, ``COMMIT``). Where no write
needs another's result, they can travel together: each statement is built as usual
(``insert_statement``: the ORM compiler's SQL and value conversion; ``update_by_pk_statement``)
and ``run_together`` sends them as one message, which PostgreSQL runs in order, in the current
transaction (or as one implicit transaction of its own), stopping at the first error. Other
databases run them one by one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

Statement = tuple[str, Sequence[Any]]


def insert_statement(
    obj: Model,
    *,
    returning_pk: bool = False,
    unique_fields: Sequence[str] = (),
    update_fields: Sequence[str] = (),
) -> Statement:
    """``INSERT`` of one unsaved instance; with ``unique_fields`` and ``update_fields`` an
    ``ON CONFLICT (...) DO UPDATE`` (as ``bulk_create(update_conflicts=True)``).

    The SQL of an insert does not depend on the values, so the compiler's text is kept per model
    and options, and later inserts only convert their values as the compiler does
    (``pre_save``, then ``get_db_prep_save``): compiling costs more than the round trip on a hot
    path. Values that are expressions, and fields with their own placeholder, always compile."""
    opts = obj._meta
    # As Model.save(): every local column but a generated one, and the auto primary key unset.
    fields = [
        f
        for f in opts.local_concrete_fields
        if not f.generated and not (f is opts.auto_field and obj.pk is None)
    ]
    key = (
        connection.alias,
        type(obj),
        tuple(f.attname for f in fields),
        returning_pk,
        tuple(unique_fields),
        tuple(update_fields),
    )
    sql = _INSERT_SQL.get(key)
    if sql is not None:
        values = [f.pre_save(obj, True) for f in fields]
        if not any(hasattr(v, "resolve_expression") for v in values):
            prepared = zip(fields, values, strict=True)
            return sql, [f.get_db_prep_save(v, connection=connection) for f, v in prepared]
    query = InsertQuery(
        type(obj),
        on_conflict=OnConflict.UPDATE if unique_fields else None,
        update_fields=[opts.get_field(name) for name in update_fields] or None,
        unique_fields=[opts.get_field(name) for name in unique_fields] or None,
    )
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    if returning_pk:
        compiler.returning_fields = [opts.pk]
    (statement,) = compiler.as_sql()
    values = [getattr(obj, f.attname) for f in fields]
    plain = not any(hasattr(v, "resolve_expression") for v in values)
    if plain and not any(hasattr(f, "get_placeholder") for f in fields):
        _INSERT_SQL[key] = statement[0]
    return statement


_INSERT_SQL: dict[tuple, str] = {}


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
