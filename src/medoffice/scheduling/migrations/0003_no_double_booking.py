"""The database itself refuses a double-booked provider or room.

Two *occupying* appointments (status not cancelled or no-show) that are not
overbooked may not overlap in time for the same provider, nor for the same
room. Time ranges are half-open, ``[start, end)``: 9:00–9:20 and 9:20–9:40
do not overlap.

- PostgreSQL: two exclusion constraints over ``tstzrange(start, end)``
  (``btree_gist`` lets the integer provider/room id join the GiST index).
- SQLite has no exclusion constraints: BEFORE INSERT/UPDATE triggers run the
  same overlap query and abort with ``slot_taken``. SQLite drops a table's
  triggers when Django rebuilds the table (some ALTERs do), so a later
  migration that alters ``scheduling_appointment`` must create them again;
  ``tests/scheduling/test_database_guard.py`` fails if they are missing.

The booking service checks first and, on PostgreSQL, takes advisory locks so
racing bookings queue instead of deadlocking (docs/decisions.md); these
guards are what makes an overlap impossible even for code that skips it.
"""

from django.db import migrations

FREE = "('cancelled', 'no_show')"

PG_CREATE = f"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_appointment
    ADD CONSTRAINT appointment_provider_no_overlap
    EXCLUDE USING gist (provider_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (status NOT IN {FREE} AND NOT overbook);
ALTER TABLE scheduling_appointment
    ADD CONSTRAINT appointment_room_no_overlap
    EXCLUDE USING gist (room_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (room_id IS NOT NULL AND status NOT IN {FREE} AND NOT overbook);
"""

PG_DROP = """
ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_room_no_overlap;
ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS appointment_provider_no_overlap;
"""

# One overlap test shared by both triggers: NEW against every other occupying row.
_SQLITE_OVERLAP = f"""
    SELECT RAISE(ABORT, 'slot_taken: the provider or room is already booked at that time')
    WHERE EXISTS (
        SELECT 1 FROM scheduling_appointment AS a
        WHERE a.id IS NOT NEW.id
          AND a.status NOT IN {FREE}
          AND a.overbook = 0
          AND a."start" < NEW."end"
          AND a."end" > NEW."start"
          AND (a.provider_id = NEW.provider_id
               OR (NEW.room_id IS NOT NULL AND a.room_id = NEW.room_id))
    );
"""

SQLITE_CREATE = [
    f"""
CREATE TRIGGER scheduling_appointment_no_overlap_insert
BEFORE INSERT ON scheduling_appointment
WHEN NEW.status NOT IN {FREE} AND NEW.overbook = 0
BEGIN {_SQLITE_OVERLAP}
END;
""",
    f"""
CREATE TRIGGER scheduling_appointment_no_overlap_update
BEFORE UPDATE OF "start", "end", status, provider_id, room_id, overbook ON scheduling_appointment
WHEN NEW.status NOT IN {FREE} AND NEW.overbook = 0
BEGIN {_SQLITE_OVERLAP}
END;
""",
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS scheduling_appointment_no_overlap_insert;",
    "DROP TRIGGER IF EXISTS scheduling_appointment_no_overlap_update;",
]


def create_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop_guards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_schedule_appointments_waitlist")]

    operations = [migrations.RunPython(create_guards, drop_guards)]
