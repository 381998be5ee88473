"""Recurring series (all or nothing), moving a visit, cancelling one."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.scheduling.errors import SeriesConflicts
from medoffice.scheduling.models import Appointment, AppointmentSeries, ScheduleException
from medoffice.scheduling.services import (
    book_series,
    cancel_appointment,
    record_flow_step,
    reschedule_appointment,
)
from tests.scheduling.conftest import at


@pytest.fixture
def series_of(office, patient, front_desk):
    def make(start, **changes):
        values = {
            "actor": front_desk,
            "patient": patient,
            "provider": office["provider"],
            "location": office["location"],
            "appointment_type": office["types"]["follow_up"],
            "start": start,
        }
        values.update(changes)
        return book_series(**values)

    return make


# -- series -------------------------------------------------------------------------------------


def test_a_weekly_series_books_every_visit_at_the_same_local_time(series_of, clinic_day):
    series = series_of(at(clinic_day, "10:00"), count=6)

    visits = list(series.appointments.order_by("start"))
    assert len(visits) == 6
    assert [v.local_start.date() for v in visits] == [
        clinic_day + dt.timedelta(weeks=i) for i in range(6)
    ]
    assert {v.local_hours for v in visits} == {"10:00–10:20"}
    assert all(v.events.get().detail["series"] == series.pk for v in visits)


def test_a_series_every_two_weeks_until_a_date(series_of, clinic_day):
    series = series_of(
        at(clinic_day, "10:00"), interval_weeks=2, until=clinic_day + dt.timedelta(weeks=6)
    )

    days = [v.local_start.date() for v in series.appointments.order_by("start")]
    assert days == [clinic_day + dt.timedelta(weeks=w) for w in (0, 2, 4, 6)]


def test_one_conflict_books_nothing_and_lists_every_failed_date(
    series_of, book, clinic_day, other_patient, office
):
    book(at(clinic_day + dt.timedelta(weeks=2), "10:10"), patient=other_patient)
    ScheduleException.objects.create(
        provider=office["provider"],
        start=at(clinic_day + dt.timedelta(weeks=3), "0:00"),
        end=at(clinic_day + dt.timedelta(weeks=3, days=1), "0:00"),
        kind=ScheduleException.VACATION,
    )
    with pytest.raises(SeriesConflicts) as caught:
        series_of(at(clinic_day, "10:00"), count=5)

    err = caught.value
    assert (err.code, err.status, err.field) == ("series_conflicts", 409, "start")
    assert [day for day, _ in err.conflicts] == [
        f"{d:%a} {d.day} {d:%b}"
        for d in (clinic_day + dt.timedelta(weeks=2), clinic_day + dt.timedelta(weeks=3))
    ]
    assert "Dr. Patel already has Lee, M. at 10:10–10:30 (Main)" in err.conflicts[0][1]
    assert "blocked for Dr. Patel (vacation" in err.conflicts[1][1]
    assert err.message.startswith("Nothing was booked: 2 of the 5 visits cannot be booked.")
    assert AppointmentSeries.objects.count() == 0
    assert not Appointment.objects.filter(series__isnull=False).exists()
    assert Appointment.objects.count() == 1  # only the one that was in the way


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({}, "count", "either the number of visits or the last date"),
        ({"count": 3, "until": dt.date(2099, 1, 1)}, "count", "either"),
        ({"count": 1}, "count", "2 to 52 visits"),
        ({"count": 60}, "count", "2 to 52 visits"),
        ({"count": 3, "interval_weeks": 0}, "interval_weeks", "every 1 to 52 weeks"),
    ],
)
def test_a_series_must_say_how_long_it_runs(series_of, clinic_day, kwargs, field, words):
    with pytest.raises(DomainError) as caught:
        series_of(at(clinic_day, "10:00"), **kwargs)

    assert (caught.value.code, caught.value.field) == ("invalid_series", field)
    assert words in caught.value.message


def test_a_series_ending_too_far_out_is_refused(series_of, clinic_day):
    with pytest.raises(DomainError) as caught:
        series_of(at(clinic_day, "10:00"), until=clinic_day + dt.timedelta(weeks=60))

    assert (caught.value.field, caught.value.code) == ("until", "invalid_series")


# -- rescheduling -------------------------------------------------------------------------------


def test_rescheduling_books_the_new_time_cancels_the_old_and_links_them(
    book, clinic_day, front_desk
):
    old = book(at(clinic_day, "9:00"))
    new = reschedule_appointment(
        actor=front_desk,
        appointment=old,
        start=at(clinic_day, "9:10"),  # overlaps the old time: allowed, it is released first
        reason="Patient asked for later",
    )

    old.refresh_from_db()
    assert old.status == Appointment.CANCELLED
    assert old.cancel_reason == "rescheduled"
    assert new.rescheduled_from == old
    assert old.rescheduled_to == new
    assert new.local_hours == "9:10–9:30"
    cancelled = old.events.get(kind="cancelled")
    assert cancelled.detail == {"rescheduled_to": new.pk}
    assert cancelled.reason == "Patient asked for later"
    assert new.events.get().detail["rescheduled_from"] == old.pk


def test_a_failed_reschedule_leaves_the_old_visit_as_it_was(
    book, clinic_day, front_desk, other_patient
):
    old = book(at(clinic_day, "9:00"))
    book(at(clinic_day, "10:00"), patient=other_patient)
    with pytest.raises(DomainError) as caught:
        reschedule_appointment(actor=front_desk, appointment=old, start=at(clinic_day, "10:05"))

    assert caught.value.code == "slot_taken"
    old.refresh_from_db()
    assert old.status == Appointment.SCHEDULED
    assert old.events.count() == 1


def test_rescheduling_to_another_provider(
    book, clinic_day, front_desk, make_provider, make_template, location
):
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    make_template(colleague, location, 1, "08:00", "12:00")
    old = book(at(clinic_day, "9:00"))
    tuesday = clinic_day + dt.timedelta(days=1)
    new = reschedule_appointment(
        actor=front_desk, appointment=old, start=at(tuesday, "11:00"), provider=colleague
    )

    assert new.provider == colleague
    assert new.local_start.date() == tuesday


def test_the_same_time_again_is_not_a_reschedule(book, clinic_day, front_desk):
    old = book(at(clinic_day, "9:00"))
    with pytest.raises(DomainError) as caught:
        reschedule_appointment(actor=front_desk, appointment=old, start=at(clinic_day, "9:00"))

    assert (caught.value.code, caught.value.field) == ("invalid", "start")


def test_a_visit_already_under_way_cannot_be_moved_or_cancelled(book, clinic_day, front_desk):
    appt = book(at(clinic_day, "9:00"))
    record_flow_step(actor=front_desk, appointment=appt, step="arrived", at=at(clinic_day, "8:55"))
    with pytest.raises(DomainError) as moved:
        reschedule_appointment(actor=front_desk, appointment=appt, start=at(clinic_day, "10:00"))
    with pytest.raises(DomainError) as cancelled:
        cancel_appointment(actor=front_desk, appointment=appt, reason="Changed mind")

    for caught in (moved, cancelled):
        assert (caught.value.code, caught.value.status) == ("invalid_transition", 409)
        assert "Lopez, M. has already arrived" in caught.value.message
        assert "left without being seen" in caught.value.message


# -- cancelling ---------------------------------------------------------------------------------


def test_cancelling_needs_a_reason_and_records_who(book, clinic_day, front_desk):
    appt = book(at(clinic_day, "9:00"))
    with pytest.raises(DomainError) as caught:
        cancel_appointment(actor=front_desk, appointment=appt, reason="   ")
    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "reason_required",
        "reason",
        422,
    )

    done = cancel_appointment(actor=front_desk, appointment=appt, reason="Feeling better")
    assert done.status == Appointment.CANCELLED
    assert (done.cancelled_by, done.cancel_reason) == (front_desk, "Feeling better")
    event = done.events.get(kind="cancelled")
    assert (event.from_status, event.reason, event.by) == (
        "scheduled",
        "Feeling better",
        front_desk,
    )

    with pytest.raises(DomainError) as again:
        cancel_appointment(actor=front_desk, appointment=appt, reason="Twice")
    assert "was already cancelled" in again.value.message


def test_an_unknown_appointment_is_404(front_desk, db):
    with pytest.raises(DomainError) as caught:
        cancel_appointment(actor=front_desk, appointment=987654, reason="x")

    assert (caught.value.code, caught.value.status) == ("not_found", 404)
