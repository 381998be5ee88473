"""The books guarded by the database: no entry lands in a closed month, none is edited or removed.

PostgreSQL: after each INSERT statement, refuse it if any new entry's
``posted_on`` falls in a closed month (a month up to the last
``billing_closedperiod``); before each UPDATE or DELETE of a row, refuse it.
TRUNCATE is not refused, which is how Django's test flush empties the table.

SQLite: the same INSERT check per row and every UPDATE refused; a DELETE is
refused for an entry in a closed month only, because Django's test flush
empties tables with DELETE (in no fixed order), like the access log's guard
which SQLite does not have at all (docs/decisions.md).

One UPDATE passes on both: a patient merge (or unmerge) pointing an entry at
the kept record, which changes ``patient_id`` and nothing else.
SQLite drops a table's triggers when a migration rebuilds the table: a later
migration that alters billing_ledgerentry there must create them again.
"""

from django.db import migrations

APPEND_ONLY = "the ledger is append-only: post a reversal instead of changing or removing an entry"

PG_GUARD = [
    """
CREATE OR REPLACE FUNCTION billing_ledgerentry_closed_guard() RETURNS trigger AS $$
DECLARE
    open_from date;
    day date;
BEGIN
    SELECT (max(month) + interval '1 month')::date INTO open_from FROM billing_closedperiod;
    IF open_from IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT min(posted_on) INTO day FROM added WHERE posted_on < open_from;
    IF day IS NOT NULL THEN
        RAISE EXCEPTION 'period_closed: an entry posted on % falls in a closed month', day
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
    f"""
CREATE OR REPLACE FUNCTION billing_ledgerentry_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'patient_id') = (to_jsonb(OLD) - 'patient_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{APPEND_ONLY}' USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql""",
    """CREATE TRIGGER billing_ledgerentry_closed_guard
    AFTER INSERT ON billing_ledgerentry
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION billing_ledgerentry_closed_guard()""",
    """CREATE TRIGGER billing_ledgerentry_append_only
    BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION billing_ledgerentry_append_only()""",
]

PG_UNGUARD = [
    "DROP TRIGGER IF EXISTS billing_ledgerentry_append_only ON billing_ledgerentry",
    "DROP TRIGGER IF EXISTS billing_ledgerentry_closed_guard ON billing_ledgerentry",
    "DROP FUNCTION IF EXISTS billing_ledgerentry_append_only()",
    "DROP FUNCTION IF EXISTS billing_ledgerentry_closed_guard()",
]

_OPEN_FROM = "(SELECT date(max(month), '+1 month') FROM billing_closedperiod)"
# Every column but patient_id (a merge may re-point an entry; nothing else changes).
_COLUMNS = [
    *("id", "posted_on", "kind", "amount", "charge_id", "payer_id", "claim_id", "claim_line_id"),
    *("remittance_id", "patient_payment_id", "adjustment_group", "reason_code", "reverses_id"),
    *("note", "created_at", "created_by_id"),
]
_CHANGED = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in _COLUMNS)

SQLITE_GUARD = [
    f"""CREATE TRIGGER billing_ledgerentry_closed_insert BEFORE INSERT ON billing_ledgerentry
    WHEN NEW.posted_on < {_OPEN_FROM}
    BEGIN SELECT RAISE(ABORT, 'period_closed: an entry falls in a closed month'); END""",
    f"""CREATE TRIGGER billing_ledgerentry_no_update BEFORE UPDATE ON billing_ledgerentry
    WHEN {_CHANGED}
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
    f"""CREATE TRIGGER billing_ledgerentry_closed_delete BEFORE DELETE ON billing_ledgerentry
    WHEN OLD.posted_on < {_OPEN_FROM}
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END""",
]

SQLITE_UNGUARD = [
    "DROP TRIGGER IF EXISTS billing_ledgerentry_closed_delete",
    "DROP TRIGGER IF EXISTS billing_ledgerentry_no_update",
    "DROP TRIGGER IF EXISTS billing_ledgerentry_closed_insert",
]


class RunSQLOn(migrations.RunSQL):
    """RunSQL on one database vendor only (the other's triggers are written differently)."""

    def __init__(self, vendor: str, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, [self.vendor], kwargs

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def describe(self):
        return f"Raw SQL on {self.vendor}"


class Migration(migrations.Migration):
    dependencies = [("billing", "0007_submission")]

    operations = [
        RunSQLOn("postgresql", PG_GUARD, PG_UNGUARD),
        RunSQLOn("sqlite", SQLITE_GUARD, SQLITE_UNGUARD),
    ]
