"""Create the access log's chain head, and on PostgreSQL refuse UPDATE/DELETE of log rows.

SQLite gets no trigger: Django's test flush empties tables with DELETE, and a
laptop install's file is in its owner's hands anyway; the hash chain still
shows any change there (see docs/decisions.md).
"""

from django.db import migrations

PG_GUARD = """
CREATE OR REPLACE FUNCTION core_accesslog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER core_accesslogentry_append_only
    BEFORE UPDATE OR DELETE ON core_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION core_accesslog_append_only();
"""

PG_UNGUARD = """
DROP TRIGGER IF EXISTS core_accesslogentry_append_only ON core_accesslogentry;
DROP FUNCTION IF EXISTS core_accesslog_append_only();
"""


def create_head(apps, schema_editor):
    apps.get_model("core", "AccessLogHead").objects.get_or_create(pk=1)


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_GUARD)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UNGUARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(guard, unguard),
    ]
