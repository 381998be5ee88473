"""SQLite's overlap triggers read only the rows that can overlap.

The triggers of 0003 compared the new visit with every earlier occupying
visit of the provider or room: on two years of history that is thousands of
rows per booking. No visit lasts longer than eight hours (the booking checks
refuse longer ones), so a visit overlapping the new one starts less than
eight hours before it; the triggers now say so, and each side of the OR reads
a short range of the (provider, start) or (room, start) index. PostgreSQL's
exclusion constraints are unchanged.
"""

from django.db import migrations

FREE = "('cancelled', 'no_show')"


def _overlap(bounded: bool) -> str:
    bound = (
        """AND a."start" > strftime('%Y-%m-%d %H:%M:%f', NEW."start", '-8 hours')"""
        if bounded
        else ""
    )
    return f"""
    SELECT RAISE(ABORT, 'slot_taken: the provider or room is already booked at that time')
    WHERE EXISTS (
        SELECT 1 FROM scheduling_appointment AS a
        WHERE a.provider_id = NEW.provider_id
          AND a.id IS NOT NEW.id
          AND a.status NOT IN {FREE}
          AND a.overbook = 0
          AND a."start" < NEW."end"
          AND a."end" > NEW."start"
          {bound}
    ) OR (NEW.room_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM scheduling_appointment AS a
        WHERE a.room_id = NEW.room_id
          AND a.id IS NOT NEW.id
          AND a.status NOT IN {FREE}
          AND a.overbook = 0
          AND a."start" < NEW."end"
          AND a."end" > NEW."start"
          {bound}
    ));
"""


def _create(bounded: bool) -> list[str]:
    body = _overlap(bounded)
    return [
        "DROP TRIGGER IF EXISTS scheduling_appointment_no_overlap_insert;",
        "DROP TRIGGER IF EXISTS scheduling_appointment_no_overlap_update;",
        f"""
CREATE TRIGGER scheduling_appointment_no_overlap_insert
BEFORE INSERT ON scheduling_appointment
WHEN NEW.status NOT IN {FREE} AND NEW.overbook = 0
BEGIN {body}
END;
""",
        f"""
CREATE TRIGGER scheduling_appointment_no_overlap_update
BEFORE UPDATE OF "start", "end", status, provider_id, room_id, overbook ON scheduling_appointment
WHEN NEW.status NOT IN {FREE} AND NEW.overbook = 0
BEGIN {body}
END;
""",
    ]


def bounded(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _create(bounded=True):
            schema_editor.execute(statement)


def unbounded(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in _create(bounded=False):
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0003_no_double_booking")]

    operations = [migrations.RunPython(bounded, unbounded)]
