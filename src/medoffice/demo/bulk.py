"""Writing many rows fast: PostgreSQL's COPY, or one prepared INSERT run for a batch of rows.

The seed writes hundreds of thousands of patients and appointments and
millions of appointment events; Django's ``bulk_create`` spends more time
preparing each value than the database spends storing it. :class:`RowWriter`
takes plain tuples in the order of the field names it was given (or model
instances), converts each value the way Django would store it (times are UTC;
date-times may be given as epoch seconds; fields with their own preparation,
such as encrypted ones, go through ``get_db_prep_save``), fills every other
column with the field's default, and writes a batch at a time inside the
caller's transaction.

:func:`bulk_load` is the classic recipe for loading an empty table: on
PostgreSQL it sets the tables' secondary indexes, foreign keys and exclusion
constraints aside and puts them back afterwards, exactly as they were (the
database then checks every row against each of them in one pass, which is
far quicker than row by row); on SQLite it sets the tables' triggers aside
the same way. Everything happens in the caller's transaction: an error
restores the schema with the rollback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterable, Iterator

from django.core.management.color import no_style
from django.db import connection, models

BATCH = 20_000

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_EPOCH_DAY = dt.date(1970, 1, 1)
_DAY_TEXT: dict[int, str] = {}
# Field classes whose stored value is the attribute itself (converted below); any other
# class (a subclass too) may prepare its value its own way, e.g. encrypt it.
_PLAIN_FIELDS = {
    models.AutoField,
    models.BigAutoField,
    models.BigIntegerField,
    models.BooleanField,
    models.CharField,
    models.DateField,
    models.DateTimeField,
    models.EmailField,
    models.ForeignKey,
    models.IntegerField,
    models.JSONField,
    models.OneToOneField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.TextField,
    models.TimeField,
}


def utc_text(value: int | dt.datetime | None) -> str | None:
    """ "2026-03-02 14:30:05" (UTC) for epoch seconds or an aware datetime (whole seconds)."""
    if value is None:
        return None
    if type(value) is not int:
        value = int(value.timestamp())
    days, seconds = divmod(value, 86400)
    day = _DAY_TEXT.get(days)
    if day is None:
        day = _DAY_TEXT[days] = (_EPOCH_DAY + dt.timedelta(days=days)).isoformat()
    return f"{day} {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _json_text(value) -> str:
    return json.dumps(value, separators=(",", ":")) if value else "{}"


def _converter(field: models.Field, vendor: str) -> Callable | None:
    """value -> what the database receives: text for COPY; for sqlite3 a Python value it
    stores as Django would (None: the value goes as it is)."""
    kind = field.get_internal_type()
    if type(field) not in _PLAIN_FIELDS:  # already prepared by the field itself
        if vendor != "postgresql":
            return None
        return lambda v: r"\N" if v is None else str(v).translate(_COPY_ESCAPES)
    if vendor != "postgresql":
        if kind == "DateTimeField":
            return utc_text
        if kind in ("DateField", "TimeField"):
            return lambda v: None if v is None else v.isoformat()
        if kind == "BooleanField":
            return lambda v: None if v is None else int(v)
        if kind == "JSONField":
            return _json_text
        return None
    if kind == "DateTimeField":
        return lambda v: r"\N" if v is None else utc_text(v) + "+00"
    if kind in ("DateField", "TimeField"):
        return lambda v: r"\N" if v is None else v.isoformat()
    if kind == "BooleanField":
        return lambda v: r"\N" if v is None else ("t" if v else "f")
    if kind == "JSONField":
        return lambda v: _json_text(v).translate(_COPY_ESCAPES)
    if kind in ("CharField", "TextField", "EmailField"):
        return lambda v: r"\N" if v is None else v.translate(_COPY_ESCAPES)
    return lambda v: r"\N" if v is None else str(v)


class RowWriter:
    """Rows of one model, given as tuples of ``fields`` values, written in batches.

    ``fields`` default to every concrete field but the id. Give ``"id"`` among
    them to write explicit ids (``close`` then moves the id sequence past them).
    Columns not named hold their field's default.
    """

    def __init__(
        self,
        model: type[models.Model],
        fields: Iterable[str] | None = None,
        *,
        batch: int = BATCH,
    ):
        meta = model._meta
        if fields is None:
            fields = [f.name for f in meta.concrete_fields if not f.primary_key]
        given = [meta.get_field(name) for name in fields]
        named = {f.name for f in given}
        rest = [f for f in meta.concrete_fields if f.name not in named and not f.primary_key]
        every = given + rest
        self.model = model
        self.vendor = connection.vendor
        self.batch = batch
        self.attnames = [f.attname for f in given]
        self.defaults = tuple(f.get_default() for f in rest)
        # Fields that prepare their own value (e.g. encrypt it) are asked to, like a save does.
        self.prepare = [
            (i, f.get_db_prep_save) for i, f in enumerate(every) if type(f) not in _PLAIN_FIELDS
        ]
        self.converters = [_converter(f, self.vendor) for f in every]
        self.to_convert = [(i, c) for i, c in enumerate(self.converters) if c is not None]
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in every)
        self.marks = ", ".join(["%s"] * len(every))
        self.explicit_ids = any(f.primary_key for f in given)
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) == self.batch:
            self.flush()

    def add_instance(self, obj: models.Model) -> None:
        """Add an unsaved model instance (the values of ``fields``)."""
        self.add(tuple([getattr(obj, name) for name in self.attnames]))

    def _prepared(self, rows: list[tuple]) -> Iterator[list]:
        defaults, prepare = self.defaults, self.prepare
        for row in rows:
            values = list(row + defaults) if defaults else list(row)
            for i, prep in prepare:
                values[i] = prep(values[i], connection)
            yield values

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                converters = self.converters
                text = "".join(
                    "\t".join([c(v) for c, v in zip(converters, values, strict=True)]) + "\n"
                    for values in self._prepared(rows)
                )
                sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    copy.write(text)
            else:
                to_convert = self.to_convert
                batch = []
                for values in self._prepared(rows):
                    for i, convert in to_convert:
                        values[i] = convert(values[i])
                    batch.append(values)
                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({self.marks})"  # noqa: S608
                cursor.executemany(sql, batch)
        self.written += len(rows)

    def close(self) -> None:
        """Write what is left; after explicit ids, move the id sequence past them."""
        self.flush()
        if self.explicit_ids:
            statements = connection.ops.sequence_reset_sql(no_style(), [self.model])
            if statements:
                with connection.cursor() as cursor:
                    for statement in statements:
                        cursor.execute(statement)


def next_id(model: type[models.Model]) -> int:
    """The first id after every existing row (1 for an empty table)."""
    last = model.objects.aggregate(last=models.Max("pk"))["last"]
    return (last or 0) + 1


def _set_aside_postgresql(cursor, table: str) -> list[str]:
    """Drop the table's secondary indexes, foreign keys and exclusion constraints; return
    the statements that create them again (indexes first)."""
    quote = connection.ops.quote_name
    cursor.execute(
        """
        SELECT i.relname, pg_get_indexdef(i.oid)
        FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = %s::regclass
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname
        """,
        [table],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        """
        SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
        WHERE conrelid = %s::regclass AND contype IN ('f', 'x')
        ORDER BY contype DESC, conname
        """,
        [table],
    )
    constraints = cursor.fetchall()
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {quote(name)}")
    return [sql for _, sql in indexes] + [
        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
        for name, definition in constraints
    ]


def _set_aside_sqlite(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
    )
    triggers = cursor.fetchall()
    for name, _ in triggers:
        cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
    return [sql for _, sql in triggers]


@contextlib.contextmanager
def bulk_load(*models_: type[models.Model]) -> Iterator[None]:
    """Load the models' tables with their checks set aside, then put every check back.

    Call inside a transaction. PostgreSQL: secondary indexes, foreign keys and
    exclusion constraints (re-adding a constraint checks every row, so a bad row
    still fails the load). SQLite: triggers (the overlap guards; they would look at
    every earlier row of a provider for each new one). Pending deferred checks of
    earlier inserts are run first, since PostgreSQL does not alter tables with
    checks pending.
    """
    postgres = connection.vendor == "postgresql"
    restore: list[str] = []
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for model in models_:
            table = model._meta.db_table
            restore += (_set_aside_postgresql if postgres else _set_aside_sqlite)(cursor, table)
    yield  # on an error the caller's transaction rolls back, which restores them as well
    with connection.cursor() as cursor:
        for statement in restore:
            cursor.execute(statement)
        if postgres:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@contextlib.contextmanager
def roomy_sqlite_cache(kib: int = 256 * 1024) -> Iterator[None]:
    """On SQLite, let this connection cache up to ``kib`` KiB of pages for the block.

    With a dozen indexes per table, a bulk load of a few hundred thousand rows
    otherwise evicts index pages it needs again a moment later.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
