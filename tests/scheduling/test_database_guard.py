"""The database itself refuses a double-booked provider or room, even for code that skips the
booking service (PostgreSQL exclusion constraints; SQLite triggers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, connection, transaction

from medoffice.scheduling.models import Appointment
from tests.scheduling.conftest import at


def raw_insert(*, patient, provider, location, appointment_type, start, minutes=20, **fields):
    """An appointment written straight through the ORM, bypassing book_appointment."""
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        location=location,
        appointment_type=appointment_type,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        **fields,
    )


@pytest.fixture
def base(office, patient):
    return {
        "patient": patient,
        "provider": office["provider"],
        "location": office["location"],
        "appointment_type": office["types"]["follow_up"],
    }


def test_the_guards_are_installed(db):
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = "
                "'scheduling_appointment'::regclass AND contype = 'x' ORDER BY conname"
            )
            names = [r[0] for r in cur.fetchall()]
            assert names == ["appointment_provider_no_overlap", "appointment_room_no_overlap"]
        else:
            cur.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND tbl_name = 'scheduling_appointment' ORDER BY name"
            )
            names = [r[0] for r in cur.fetchall()]
            # If this fails after a new migration: SQLite rebuilt the table and dropped the
            # triggers; create them again (see migrations 0003 and 0004).
            assert names == [
                "scheduling_appointment_no_overlap_insert",
                "scheduling_appointment_no_overlap_update",
            ]


def test_an_overlapping_insert_for_the_same_provider_is_refused(base, clinic_day):
    raw_insert(**base, start=at(clinic_day, "9:30"))
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        raw_insert(**base, start=at(clinic_day, "9:40"))

    text = str(caught.value)
    assert "appointment_provider_no_overlap" in text or "slot_taken" in text
    assert Appointment.objects.count() == 1


def test_an_overlapping_insert_for_the_same_room_is_refused(
    base, clinic_day, office, make_provider
):
    room = office["rooms"]["exam1"]
    raw_insert(**base, start=at(clinic_day, "9:30"), room=room)
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    with pytest.raises(IntegrityError), transaction.atomic():
        raw_insert(**{**base, "provider": colleague}, start=at(clinic_day, "9:45"), room=room)


def test_an_update_that_creates_an_overlap_is_refused(base, clinic_day):
    raw_insert(**base, start=at(clinic_day, "9:30"))
    later = raw_insert(**base, start=at(clinic_day, "10:30"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=later.pk).update(start=at(clinic_day, "9:40"))


def test_what_the_guard_allows(base, clinic_day, office, make_provider):
    first = raw_insert(**base, start=at(clinic_day, "9:30"), room=office["rooms"]["exam1"])
    raw_insert(**base, start=at(clinic_day, "9:50"))  # back to back
    raw_insert(**base, start=at(clinic_day, "9:30"), overbook=True, overbook_reason="Urgent")
    raw_insert(
        **base,
        start=at(clinic_day, "9:30"),
        status=Appointment.CANCELLED,
        cancelled_at=at(clinic_day, "8:00"),
        cancel_reason="Ill",
    )
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    raw_insert(**{**base, "provider": colleague}, start=at(clinic_day, "9:30"))  # no room
    Appointment.objects.filter(pk=first.pk).update(status=Appointment.NO_SHOW)
    third = make_provider(first_name="Ana", last_name="Reyes")
    raw_insert(**{**base, "provider": third}, start=at(clinic_day, "9:35"), room=first.room)

    assert Appointment.objects.count() == 6


def test_reviving_a_cancelled_visit_over_a_new_one_is_refused(base, clinic_day):
    gone = raw_insert(
        **base,
        start=at(clinic_day, "9:30"),
        status=Appointment.CANCELLED,
        cancelled_at=at(clinic_day, "8:00"),
        cancel_reason="Ill",
    )
    raw_insert(**base, start=at(clinic_day, "9:30"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=gone.pk).update(status=Appointment.SCHEDULED)


@pytest.mark.parametrize(
    ("earlier_start", "minutes", "refused"),
    [
        # The longest visit (8 h) starting 7 h 50 min before: still running at 9:30.
        ("1:40", 480, True),
        # Ends exactly when the new one starts: no overlap ([start, end) ranges).
        ("1:30", 480, False),
        ("9:00", 30, False),
        ("9:00", 31, True),
    ],
)
def test_only_visits_that_really_overlap_are_refused(
    base, clinic_day, earlier_start, minutes, refused
):
    """The guards read only visits starting less than 8 h before; that bound loses nothing."""
    raw_insert(**base, start=at(clinic_day, earlier_start), minutes=minutes)
    if refused:
        with pytest.raises(IntegrityError), transaction.atomic():
            raw_insert(**base, start=at(clinic_day, "9:30"))
        assert Appointment.objects.count() == 1
    else:
        raw_insert(**base, start=at(clinic_day, "9:30"))
        assert Appointment.objects.count() == 2
