"""The PHI access log: appended through one door, chained, and tamper-evident."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from medoffice.cli import main
from medoffice.core.audit import log_patient_access, record_access, verify_chain
from medoffice.core.models import AccessLogEntry, AccessLogHead


def _write(n: int, user) -> list[AccessLogEntry]:
    return [
        record_access(
            user=user,
            action="view",
            object_type="patient",
            object_id=i,
            patient_id=i,
            ip_address="10.0.0.5",
        )
        for i in range(1, n + 1)
    ]


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # flush pending FK checks first
            cur.execute(
                "ALTER TABLE core_accesslogentry DISABLE TRIGGER core_accesslogentry_append_only"
            )
        cur.execute(sql, params)
        if connection.vendor == "postgresql":
            cur.execute(
                "ALTER TABLE core_accesslogentry ENABLE TRIGGER core_accesslogentry_append_only"
            )


@pytest.mark.django_db
def test_rows_chain_in_order_and_verify(make_user):
    user = make_user("front_desk")
    rows = _write(5, user)
    assert [r.position for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    assert all(rows[i].prev_hash == rows[i - 1].entry_hash for i in range(1, 5))
    assert AccessLogHead.objects.get().position == 5
    report = verify_chain()
    assert report.ok and report.checked == 5


@pytest.mark.django_db
def test_edited_row_is_caught_by_the_cli(make_user, capsys):
    _write(4, make_user("front_desk"))
    _tamper("UPDATE core_accesslogentry SET username = %s WHERE position = %s", ["someone-else", 3])
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "row #3" in err and "changed" in err


@pytest.mark.django_db
def test_removed_middle_row_is_caught(make_user):
    _write(4, make_user("front_desk"))
    _tamper("DELETE FROM core_accesslogentry WHERE position = %s", [2])
    report = verify_chain()
    assert not report.ok
    assert report.first_bad_position == 2
    assert "missing" in report.reason


@pytest.mark.django_db
def test_removed_last_row_is_caught(make_user):
    _write(3, make_user("front_desk"))
    _tamper("DELETE FROM core_accesslogentry WHERE position = %s", [3])
    report = verify_chain()
    assert not report.ok and report.first_bad_position == 3


@pytest.mark.django_db
def test_recomputed_hash_without_the_key_is_caught(make_user):
    """Rewriting a row and its hash with plain SHA-256 does not fool the keyed chain."""
    import hashlib

    _write(2, make_user("front_desk"))
    forged = hashlib.sha256(b"forged").hexdigest()
    _tamper(
        "UPDATE core_accesslogentry SET detail = %s, entry_hash = %s WHERE position = %s",
        ["nothing to see", forged, 2],
    )
    assert not verify_chain().ok


@pytest.mark.django_db
def test_intact_chain_exits_zero(make_user, capsys):
    _write(3, make_user("auditor"))
    assert main(["audit", "verify"]) == 0
    assert "3 rows verified" in capsys.readouterr().out


@pytest.mark.django_db
def test_rows_cannot_be_changed_through_the_application(make_user):
    row = _write(1, make_user("front_desk"))[0]
    row.detail = "edited"
    with pytest.raises(ValidationError):
        row.save()
    with pytest.raises(ValidationError):
        row.delete()


@pytest.mark.django_db
def test_database_refuses_updates_on_postgresql(make_user):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger exists on PostgreSQL only")
    from django.db import DatabaseError, transaction

    _write(1, make_user("front_desk"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLogEntry.objects.filter(position=1).update(detail="x")


@pytest.mark.django_db
def test_request_helper_records_user_and_address(rf, make_user):
    user = make_user("front_desk")
    request = rf.get("/patients/42/", REMOTE_ADDR="192.0.2.7")
    request.user = user
    row = log_patient_access(request, patient_id=42)
    assert (row.username, row.patient_id, row.ip_address, row.action) == (
        user.username,
        42,
        "192.0.2.7",
        "view",
    )


def test_unknown_action_is_refused(db, make_user):
    with pytest.raises(ValueError, match="unknown access-log action"):
        record_access(user=make_user(), action="peek", object_type="patient", object_id=1)
    assert AccessLogEntry.objects.count() == 0


@pytest.mark.django_db
def test_auditor_searches_by_patient_user_and_date(client_as, make_user):
    desk = make_user("front_desk", username="maria")
    other = make_user("front_desk", username="ahmed")
    for pid, u in [(7, desk), (7, other), (8, desk)]:
        record_access(user=u, action="view", object_type="patient", object_id=pid, patient_id=pid)
    client = client_as("auditor")

    page = client.get("/audit/access-log/", {"patient": 7}).content.decode()
    assert "maria" in page and "ahmed" in page
    page = client.get("/audit/access-log/", {"patient": 7, "user": "maria"}).content.decode()
    assert "maria" in page and "ahmed" not in page

    csv_text = client.get("/audit/access-log/", {"user": "maria", "format": "csv"}).content
    lines = csv_text.decode().strip().splitlines()
    assert len(lines) == 3  # header and maria's two rows


@pytest.mark.django_db
def test_access_log_form_names_the_bad_field(client_as):
    page = client_as("auditor").get(
        "/audit/access-log/", {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )
    assert "The end date is before the start date." in page.content.decode()
    page = client_as("auditor").get("/audit/access-log/", {"patient": "abc"})
    assert "Enter the patient&#x27;s number" in page.content.decode()


@pytest.mark.django_db
def test_front_desk_cannot_read_the_access_log(client_as):
    assert client_as("front_desk").get("/audit/access-log/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain(make_user):
    """Eight app servers' worth of threads appending at once still give one gap-free chain."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need a server database")
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    user = make_user("front_desk")

    def append(worker: int) -> None:
        try:
            for i in range(25):
                record_access(
                    user=user, action="view", object_type="patient", object_id=worker * 100 + i
                )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append, range(8)))
    report = verify_chain()
    assert report.ok, str(report)
    assert report.checked == 200


@pytest.mark.django_db
def test_live_filter_answers_htmx_with_the_results_only(client_as, make_user):
    record_access(
        user=make_user(username="maria"),
        action="view",
        object_type="patient",
        object_id=3,
        patient_id=3,
    )
    page = (
        client_as("auditor")
        .get("/audit/access-log/", {"user": "maria"}, headers={"HX-Request": "true"})
        .content.decode()
    )
    assert page.lstrip().startswith('<div id="results">')
    assert "maria" in page and "<html" not in page


@pytest.mark.django_db
def test_removed_head_with_rows_left_is_caught(make_user):
    _write(2, make_user("front_desk"))
    AccessLogHead.objects.all().delete()
    report = verify_chain()
    assert not report.ok and "head" in report.reason


@pytest.mark.django_db
def test_empty_log_without_head_starts_a_fresh_chain(make_user):
    AccessLogHead.objects.all().delete()
    assert verify_chain().ok
    row = _write(1, make_user("front_desk"))[0]
    assert row.position == 1 and verify_chain().ok
