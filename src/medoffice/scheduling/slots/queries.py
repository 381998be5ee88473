"""The finder's reads, as plain SQL that PostgreSQL and SQLite both run.

Every call of ``open_slots`` runs these (four once, the last once per batch of
candidates); built through the ORM they cost several times more CPU than the
database spends answering them (measured in benchmarks/next_slot.py), so they
are written out here once. Only table and column names from the models'
metadata, ``%s`` placeholders and ids (through ``int``) are formatted into the
SQL; every other value is a parameter, adapted the way the ORM adapts it. Rows
come back as tuples; the provider, location and room rows carry every column,
so the model instances made of them (``instance``) are complete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection

from medoffice.core.models import Location
from medoffice.scheduling.models import (
    Appointment,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)


def _columns(model, alias: str) -> str:
    return ", ".join(f'{alias}."{f.column}"' for f in model._meta.concrete_fields)


def _width(model) -> int:
    return len(model._meta.concrete_fields)


PROVIDER_WIDTH = _width(Provider)
LOCATION_WIDTH = _width(Location)
ROOM_WIDTH = _width(Room)

_PAIRS = (
    f"SELECT {_columns(Provider, 'p')}, {_columns(Location, 'l')} "  # noqa: S608 - metadata names
    f'FROM "{Provider.locations.through._meta.db_table}" pl '
    f'JOIN "{Provider._meta.db_table}" p ON p."id" = pl."provider_id" '
    f'JOIN "{Location._meta.db_table}" l ON l."id" = pl."location_id" '
    'WHERE p."active" AND l."active" {where} ORDER BY p."id", l."id"'
)
_TYPES = AvailabilityTemplate.appointment_types.through._meta.db_table
_BLOCKS = (
    'SELECT t."provider_id", t."location_id", t."weekday", t."start_time", t."end_time", '  # noqa: S608
    't."slot_minutes", t."effective_from", t."effective_to" '
    f'FROM "{AvailabilityTemplate._meta.db_table}" t '
    'WHERE t."provider_id" IN ({providers}) AND t."location_id" IN ({locations}) '
    'AND t."effective_from" <= %s AND (t."effective_to" IS NULL OR t."effective_to" >= %s) '
    f'AND (NOT EXISTS (SELECT 1 FROM "{_TYPES}" x WHERE x."availabilitytemplate_id" = t."id") '
    f'OR EXISTS (SELECT 1 FROM "{_TYPES}" x WHERE x."availabilitytemplate_id" = t."id" '
    'AND x."appointmenttype_id" = %s)) '
    'ORDER BY t."start_time", t."id"'
)
_ROOMS = (
    f'SELECT {_columns(Room, "r")} FROM "{Room._meta.db_table}" r '  # noqa: S608
    'WHERE r."location_id" IN ({locations}) AND r."kind" = %s AND r."active" ORDER BY r."id"'
)
_BLOCKED = (
    'SELECT e."provider_id", e."location_id", {e_start}, {e_end} '  # noqa: S608
    f'FROM "{ScheduleException._meta.db_table}" e '
    'WHERE e."start" < %s AND e."end" > %s '
    'AND (e."provider_id" IS NULL OR e."provider_id" IN ({providers})) '
    'AND (e."location_id" IS NULL OR e."location_id" IN ({locations}))'
)
_BUSY = (
    'SELECT a."provider_id", a."room_id", a."patient_id", {a_start}, {a_end} '  # noqa: S608
    f'FROM "{Appointment._meta.db_table}" a '
    'WHERE a."status" IN ({statuses}) AND a."start" < %s AND a."start" >= %s AND a."end" > %s '
    "AND ({who})"
)


def _in(values: Iterable) -> tuple[str, list]:
    """Placeholders for ``IN (...)`` and their values; no values match nothing."""
    values = list(values)
    if not values:
        return "NULL", []
    return ", ".join(["%s"] * len(values)), values


def _ids(values: Iterable[int]) -> str:
    """Ids for ``IN (...)``, written into the SQL as whole numbers (``int`` makes sure they
    are nothing else): fifty ids as fifty parameters cost the driver more than the query."""
    text = ", ".join(str(int(value)) for value in values)
    return text or "NULL"


def _seconds(column: str) -> str:
    """The SQL for an instant column as seconds since 1970 (a float), where the database
    computes it: on PostgreSQL this spares Django's per-value datetime loader, which costs
    ~15 times the query itself on a few thousand rows (benchmarks/next_slot.py)."""
    if connection.vendor == "postgresql":
        return f"date_part('epoch', {column})"
    return column


def _epoch(value) -> float:
    """An instant read through ``_seconds`` as seconds since 1970."""
    if isinstance(value, dt.datetime):  # SQLite: a naive UTC datetime
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    return float(value)


def _rows(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def instance(model, row: tuple):
    """A complete model instance from a row of all its columns, as the ORM would make it."""
    names = [f.attname for f in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, list(row))


def pairs(provider_ids: list[int] | None, location_ids: list[int] | None) -> list[tuple]:
    """``(provider row, location row)`` for every active provider at an active location
    where they work, optionally only those providers or locations."""
    where = ""
    if provider_ids is not None:
        where += f' AND pl."provider_id" IN ({_ids(provider_ids)})'
    if location_ids is not None:
        where += f' AND pl."location_id" IN ({_ids(location_ids)})'
    return [
        (row[:PROVIDER_WIDTH], row[PROVIDER_WIDTH:])
        for row in _rows(_PAIRS.format(where=where), [])
    ]


def blocks(
    *,
    provider_ids: Iterable[int],
    location_ids: Iterable[int],
    first_day: dt.date,
    last_day: dt.date,
    appointment_type_id: int,
) -> list[tuple]:
    """The blocks of those providers at those locations in effect at some point between the
    two days that take the type (no types listed = every type), earliest start first:
    ``(provider_id, location_id, weekday, start_time, end_time, slot_minutes,
    effective_from, effective_to)``."""
    ops = connection.ops
    sql = _BLOCKS.format(providers=_ids(provider_ids), locations=_ids(location_ids))
    params = [
        ops.adapt_datefield_value(last_day),
        ops.adapt_datefield_value(first_day),
        appointment_type_id,
    ]
    return _rows(sql, params)


def rooms(*, location_ids: Iterable[int], kind: str) -> list[tuple]:
    """Active rooms of ``kind`` at those locations, lowest id first (all columns)."""
    return _rows(_ROOMS.format(locations=_ids(location_ids)), [kind])


def blocked_time(
    *,
    provider_ids: Iterable[int],
    location_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
) -> list[tuple]:
    """Schedule exceptions overlapping ``[start, end)`` that apply to those providers or
    locations (or to everyone): ``(provider_id or None, location_id or None, start, end)``,
    the instants as seconds since 1970."""
    ops = connection.ops
    sql = _BLOCKED.format(
        providers=_ids(provider_ids),
        locations=_ids(location_ids),
        e_start=_seconds('e."start"'),
        e_end=_seconds('e."end"'),
    )
    params = [
        ops.adapt_datetimefield_value(end),
        ops.adapt_datetimefield_value(start),
    ]
    return [(p, loc, _epoch(a), _epoch(b)) for p, loc, a, b in _rows(sql, params)]


def busy(
    *,
    provider_ids: Iterable[int],
    room_ids: Iterable[int],
    patient_id: int | None,
    start: dt.datetime,
    end: dt.datetime,
    earliest_start: dt.datetime,
    statuses: Iterable[str],
) -> list[tuple]:
    """Appointments in ``statuses`` overlapping ``[start, end)`` that hold one of those
    providers or rooms (or the patient), starting no earlier than ``earliest_start``:
    ``(provider_id, room_id, patient_id, start, end)``, the instants as seconds since 1970."""
    ops = connection.ops
    status_marks, status_values = _in(statuses)
    who = [f'a."provider_id" IN ({_ids(provider_ids)})']
    room_ids = list(room_ids)
    if room_ids:
        who.append(f'a."room_id" IN ({_ids(room_ids)})')
    if patient_id is not None:
        who.append(f'a."patient_id" = {int(patient_id)}')
    sql = _BUSY.format(
        statuses=status_marks,
        who=" OR ".join(who),
        a_start=_seconds('a."start"'),
        a_end=_seconds('a."end"'),
    )
    params = [
        *status_values,
        ops.adapt_datetimefield_value(end),
        ops.adapt_datetimefield_value(earliest_start),
        ops.adapt_datetimefield_value(start),
    ]
    rows = _rows(sql, params)
    if connection.vendor == "postgresql":
        return rows  # floats already
    return [(p, r, pt, _epoch(a), _epoch(b)) for p, r, pt, a, b in rows]
