"""Plain multi-row inserts for large imports, where building a model instance per row and
Django's per-field preparation cost more than the database itself.

Only for rows nothing needs back (no ids are returned) and whose values are
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
    """INSERT ``rows`` (tuples in the order of ``fields``, model field names) into ``model``,
    many rows a statement."""
    if not rows:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(f).column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per = max(1, min(1000, 30_000 // len(fields)))  # SQLite allows 32,766 parameters
    with connection.cursor() as cursor:
        for at in range(0, len(rows), per):
            chunk = rows[at : at + per]
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608 - names from the model
                f"VALUES {', '.join([one] * len(chunk))}",
                [value for row in chunk for value in row],
            )


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
