"""Writing many rows fast: PostgreSQL's COPY, or one prepared INSERT run for a batch of rows.

The history generator produces hundreds of thousands of appointments and
millions of events; building a Django model instance for each costs more
than the database does. :class:`RowWriter` takes plain tuples in the order of
the field names it was given, converts each value the way Django would
store it (times are UTC; date-times may be given as epoch seconds), fills
every other column with the field's default, and writes a batch at a time
inside the caller's transaction. Database constraints check every row; on
SQLite, :func:`triggers_set_aside` lets a bulk load skip a table's triggers
(and puts them back, unchanged, before the transaction ends).
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
    if vendor != "postgresql":
        if kind == "DateTimeField":
            return utc_text
        if kind == "DateField":
            return lambda v: None if v is None else v.isoformat()
        if kind == "BooleanField":
            return int
        if kind == "JSONField":
            return _json_text
        return None
    if kind == "DateTimeField":
        return lambda v: r"\N" if v is None else utc_text(v) + "+00"
    if kind == "DateField":
        return lambda v: r"\N" if v is None else v.isoformat()
    if kind == "BooleanField":
        return lambda v: "t" if v else "f"
    if kind == "JSONField":
        return lambda v: _json_text(v).translate(_COPY_ESCAPES)
    if kind in ("CharField", "TextField", "SlugField", "EmailField"):
        return lambda v: r"\N" if v is None else v.translate(_COPY_ESCAPES)
    return lambda v: r"\N" if v is None else str(v)


class RowWriter:
    """Rows of one model, given as tuples of ``fields`` values, written in batches."""

    def __init__(self, model: type[models.Model], fields: Iterable[str], *, batch: int = BATCH):
        meta = model._meta
        given = [meta.get_field(name) for name in fields]
        named = {f.name for f in given}
        rest = [f for f in meta.concrete_fields if f.name not in named and not f.primary_key]
        self.model = model
        self.vendor = connection.vendor
        self.batch = batch
        self.width = len(given)
        converters = [_converter(f, self.vendor) for f in given + rest]
        defaults = [f.get_default() for f in rest]
        # Columns left out hold their defaults, converted once.
        self.defaults = tuple(
            c(v) if c is not None else v
            for c, v in zip(converters[self.width :], defaults, strict=True)
        )
        self.converters = converters[: self.width]
        self.to_convert = [(i, c) for i, c in enumerate(self.converters) if c is not None]
        quote = connection.ops.quote_name
        self.table = quote(meta.db_table)
        self.columns = ", ".join(quote(f.column) for f in given + rest)
        self.explicit_ids = any(f.primary_key for f in given)
        self.rows: list[tuple] = []
        self.written = 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) == self.batch:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        rows, self.rows = self.rows, []
        defaults = self.defaults
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                converters = self.converters
                tail = "\t" + "\t".join(defaults) + "\n" if defaults else "\n"
                text = "".join(
                    "\t".join([c(v) for c, v in zip(converters, row, strict=True)]) + tail
                    for row in rows
                )
                sql = f"COPY {self.table} ({self.columns}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    copy.write(text)
            else:
                to_convert = self.to_convert
                values = []
                for row in rows:
                    value = list(row)
                    for i, convert in to_convert:
                        value[i] = convert(value[i])
                    values.append(value + list(defaults) if defaults else value)
                marks = ", ".join(["%s"] * (self.width + len(defaults)))
                sql = f"INSERT INTO {self.table} ({self.columns}) VALUES ({marks})"  # noqa: S608
                cursor.executemany(sql, values)
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


@contextlib.contextmanager
def triggers_set_aside(model: type[models.Model]) -> Iterator[None]:
    """On SQLite, drop the table's triggers for the block and create them again after it.

    Call inside a transaction (SQLite's DDL is transactional: a failure restores
    them too). The triggers are re-created from their own stored SQL, so they come
    back exactly as the migrations made them. Elsewhere this does nothing.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [model._meta.db_table],
        )
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
    yield  # on an error the caller's transaction rolls back, which restores them as well
    with connection.cursor() as cursor:
        for _name, sql in triggers:
            cursor.execute(sql)


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
