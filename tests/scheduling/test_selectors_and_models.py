"""Reads of the schedule (a day at a location, local time helpers) and the models' own rules."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from medoffice.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    AvailabilityTemplate,
    Room,
    ScheduleException,
    WaitlistEntry,
)
from medoffice.scheduling.selectors import (
    OCCUPYING_STATUSES,
    appointments_for_day,
    blocks_for_day,
    exceptions_overlapping,
    local_to_utc,
    location_day_bounds,
    occupying_appointments,
    occupying_statuses,
)
from medoffice.scheduling.services import cancel_appointment
from tests.scheduling.conftest import at

# -- local time ---------------------------------------------------------------------------------


def test_local_to_utc_follows_the_locations_zone_across_daylight_saving(location):
    summer = local_to_utc(location, dt.date(2031, 7, 7), dt.time(9, 0))
    winter = local_to_utc(location, dt.date(2031, 1, 6), dt.time(9, 0))

    assert summer == dt.datetime(2031, 7, 7, 14, 0, tzinfo=dt.UTC)
    assert winter == dt.datetime(2031, 1, 6, 15, 0, tzinfo=dt.UTC)


def test_a_day_is_23_or_25_hours_on_the_daylight_saving_days(location):
    spring_start, spring_end = location_day_bounds(location, dt.date(2031, 3, 9))
    fall_start, fall_end = location_day_bounds(location, dt.date(2031, 11, 2))

    assert spring_end - spring_start == dt.timedelta(hours=23)
    assert fall_end - fall_start == dt.timedelta(hours=25)
    assert spring_start.astimezone(zoneinfo.ZoneInfo("America/Chicago")).hour == 0


def test_occupying_statuses_leave_out_cancelled_and_no_show():
    assert "cancelled" not in OCCUPYING_STATUSES
    assert "no_show" not in OCCUPYING_STATUSES
    assert {"scheduled", "arrived", "checked_out"} <= set(OCCUPYING_STATUSES)
    assert occupying_statuses() == OCCUPYING_STATUSES


# -- a day at a location ------------------------------------------------------------------------


def test_the_day_view_costs_one_query_however_many_visits(
    book, clinic_day, office, make_patient_record, front_desk
):
    for i in range(12):
        book(at(clinic_day, f"{8 + i // 3}:{(i % 3) * 20:02d}"), patient=make_patient_record())
    gone = book(at(clinic_day, "13:00"))
    cancel_appointment(actor=front_desk, appointment=gone, reason="Ill")
    book(at(clinic_day + dt.timedelta(days=1), "8:00"))  # another day

    with CaptureQueriesContext(connection) as queries:
        rows = list(appointments_for_day(location=office["location"], day=clinic_day))
        for row in rows:
            _ = (row.patient.last_name, row.provider.schedule_name, row.appointment_type.colour)
            _ = (row.room.name if row.room else None, row.location.zone)

    assert len(queries) == 1
    assert len(rows) == 12
    assert [r.local_hours for r in rows[:3]] == ["8:00–8:20", "8:20–8:40", "8:40–9:00"]
    with_cancelled = appointments_for_day(
        location=office["location"], day=clinic_day, include_cancelled=True
    )
    assert with_cancelled.count() == 13


def test_the_day_view_filters_by_provider(book, clinic_day, office, make_provider, make_template):
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    make_template(colleague, office["location"], 0, "08:00", "12:00")
    book(at(clinic_day, "9:00"))
    book(at(clinic_day, "9:00"), provider=colleague)

    only = appointments_for_day(location=office["location"], day=clinic_day, providers=[colleague])
    assert [a.provider for a in only] == [colleague]


def test_occupying_blocks_and_exceptions_selectors(book, clinic_day, office, front_desk):
    kept = book(at(clinic_day, "9:00"))
    gone = book(at(clinic_day, "10:00"))
    cancel_appointment(actor=front_desk, appointment=gone, reason="Ill")
    ScheduleException.objects.create(
        location=office["location"], start=at(clinic_day, "12:00"), end=at(clinic_day, "13:00")
    )

    found = occupying_appointments(
        start=at(clinic_day, "8:00"), end=at(clinic_day, "11:00"), provider=office["provider"]
    )
    assert list(found) == [kept]
    assert [
        b.hours
        for b in blocks_for_day(
            provider=office["provider"], location=office["location"], day=clinic_day
        )
    ] == ["8:00–12:00", "13:00–17:00"]
    assert (
        exceptions_overlapping(
            start=at(clinic_day, "12:30"), end=at(clinic_day, "12:45"), provider=office["provider"]
        ).count()
        == 1
    )
    with pytest.raises(ValueError, match="provider, a room"):
        occupying_appointments(start=at(clinic_day, "8:00"), end=at(clinic_day, "9:00"))


# -- models -------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, 3, 7, 485, 600])
def test_a_visit_type_lasts_5_to_480_minutes_in_steps_of_5(db, minutes):
    kind = AppointmentType(name="Odd", code="ODD", duration_minutes=minutes)
    with pytest.raises(ValidationError) as caught:
        kind.full_clean()
    assert "duration_minutes" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        kind.save()


def test_a_telehealth_type_cannot_need_an_exam_room(db):
    kind = AppointmentType(
        name="Video", code="TV", duration_minutes=20, telehealth=True, room_kind=Room.EXAM
    )
    with pytest.raises(ValidationError) as caught:
        kind.full_clean()
    assert "room_kind" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        kind.save()


def test_a_template_block_must_end_after_it_starts_and_its_provider_work_there(
    provider, location, practice
):
    from medoffice.core.models import Location

    backwards = AvailabilityTemplate(
        provider=provider,
        location=location,
        weekday=0,
        start_time=dt.time(12),
        end_time=dt.time(8),
    )
    with pytest.raises(ValidationError) as caught:
        backwards.full_clean()
    assert "end_time" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        backwards.save()

    elsewhere = Location.objects.create(
        practice=practice,
        name="Eastside",
        address1="9 Elm St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
    )
    away = AvailabilityTemplate(
        provider=provider,
        location=elsewhere,
        weekday=0,
        start_time=dt.time(8),
        end_time=dt.time(12),
    )
    with pytest.raises(ValidationError) as caught:
        away.full_clean()
    assert caught.value.message_dict["location"] == [
        "Dr. Patel does not work at Eastside; add the location to the provider first."
    ]


def test_two_blocks_of_one_provider_on_one_weekday_may_not_overlap(weekday_blocks, office):
    clash = AvailabilityTemplate(
        provider=office["provider"],
        location=office["location"],
        weekday=0,
        start_time=dt.time(11),
        end_time=dt.time(14),
    )
    with pytest.raises(ValidationError) as caught:
        clash.full_clean()
    assert "overlaps the Monday block 8:00–12:00" in caught.value.message_dict["start_time"][0]


def test_blocked_time_must_end_after_it_starts(db, clinic_day):
    bad = ScheduleException(start=at(clinic_day, "9:00"), end=at(clinic_day, "8:00"))
    with pytest.raises(ValidationError):
        bad.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        bad.save()


def test_history_is_append_only(book, clinic_day):
    event = book(at(clinic_day, "9:00")).events.get()
    event.reason = "rewritten"
    with pytest.raises(ValidationError, match="append-only"):
        event.save()
    with pytest.raises(ValidationError, match="append-only"):
        event.delete()
    assert AppointmentEvent.objects.get().reason == ""


def test_the_database_refuses_an_overbook_without_reason_and_a_cancel_without_one(book, clinic_day):
    appt = book(at(clinic_day, "9:00"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=appt.pk).update(overbook=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.filter(pk=appt.pk).update(status="cancelled")


def test_a_waitlist_window_cannot_end_before_it_starts(patient, office):
    entry = WaitlistEntry(
        patient=patient,
        appointment_type=office["types"]["follow_up"],
        earliest_date=dt.date(2031, 5, 1),
        latest_date=dt.date(2031, 4, 1),
    )
    with pytest.raises(ValidationError):
        entry.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        entry.save()


def test_provider_names_on_the_schedule(make_provider):
    assert make_provider().schedule_name == "Dr. Patel"
    assert make_provider(first_name="Ann", last_name="Lee", credentials="NP").schedule_name == (
        "Ann Lee, NP"
    )
