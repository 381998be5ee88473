"""Plain inserts for large imports, where building a model instance per row and Django's
per-field preparation cost more than the database itself.

For rows whose ids nobody needs back (or reserved first, :func:`insert_objects`) and values
already plain: ints, strings, ``Decimal``, dates and None. Aware datetimes go
through :func:`db_datetime` first. Model defaults are *not* applied: name every
column that is not nullable.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection


def db_datetime(value: dt.datetime):
    """An aware datetime as this database stores it."""
    return connection.ops.adapt_datetimefield_value(value)


def insert_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """INSERT ``rows`` (tuples in the order of ``fields``, model field names) into ``model``:
    COPY on PostgreSQL, one prepared INSERT run for every row on SQLite."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608


class Maker:
    """Builds many unsaved instances of ``model`` quickly: the field defaults are worked out
    once (a callable default is called once, so give such fields a value when it matters),
    and each instance is made from positional values, Django's fast path. Values are given
    by attribute name (``claim_id``, not ``claim``)."""

    def __init__(self, model):
        self.model = model
        fields = model._meta.concrete_fields
        self.index = {f.attname: i for i, f in enumerate(fields)}
        self.base = [None if f.primary_key else f.get_default() for f in fields]

    def __call__(self, **values):
        row = list(self.base)
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return self.model(*row)


def reserve_ids(model, count: int) -> list[int]:
    """``count`` new primary keys for ``model``, taken now (inside the caller's transaction)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the transaction already holds the write lock, so no one else takes ids.
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")  # noqa: S608
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(top, row[0] if row else 0) + 1
        return list(range(start, start + count))


def insert_objects(model, objects: list) -> None:
    """Insert unsaved instances of ``model`` as plain rows, giving each its new id first."""
    fields = model._meta.concrete_fields
    moments = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    rows = []
    for obj, pk in zip(objects, reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
        row = [getattr(obj, f.attname) for f in fields]
        for i in moments:
            if row[i] is not None:
                row[i] = db_datetime(row[i])
        rows.append(tuple(row))
        obj._state.adding = False
        obj._state.db = connection.alias
    insert_rows(model, [f.name for f in fields], rows)
