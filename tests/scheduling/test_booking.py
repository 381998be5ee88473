"""Booking a visit: each check the front desk can run into, with its words and its field."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling.models import Appointment, AppointmentEvent, Room, ScheduleException
from medoffice.scheduling.services import book_appointment
from tests.scheduling.conftest import at


def refused(call, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    return caught.value


# -- what a good booking leaves behind ----------------------------------------------------------


def test_a_booking_takes_the_types_length_a_free_room_and_records_who(
    book, clinic_day, front_desk, office
):
    appt = book(at(clinic_day, "9:30"), notes="Needs a Spanish interpreter")

    assert appt.status == Appointment.SCHEDULED
    assert appt.start == at(clinic_day, "9:30")
    assert appt.end == at(clinic_day, "9:50")  # follow-up: 20 minutes
    assert appt.start.utcoffset() == dt.timedelta(0)  # kept in UTC
    assert appt.room == office["rooms"]["exam1"]
    assert appt.booked_by == front_desk
    assert appt.local_hours == "9:30–9:50"
    assert appt.notes == "Needs a Spanish interpreter"
    event = appt.events.get()
    assert (event.kind, event.from_status, event.to_status) == ("booked", "", "scheduled")
    assert event.by == front_desk
    assert event.detail["room"] == "picked"


def test_the_second_booking_at_the_same_time_gets_the_next_free_room(
    book, clinic_day, make_provider, make_template, location, other_patient
):
    first = book(at(clinic_day, "9:30"))
    colleague = make_provider(first_name="Sam", last_name="Okafor", npi="1245319599")
    make_template(colleague, location, 0, "08:00", "12:00")
    second = book(at(clinic_day, "9:40"), provider=colleague, patient=other_patient)

    assert (first.room.name, second.room.name) == ("Exam 1", "Exam 2")


def test_a_visit_that_needs_no_room_gets_none_and_a_telehealth_visit_needs_no_room(
    book, clinic_day, office
):
    phone = book(at(clinic_day, "8:00"), appointment_type=office["types"]["phone"])
    video = book(at(clinic_day, "8:15"), appointment_type=office["types"]["video"])

    assert phone.room is None
    assert video.room is None


def test_an_explicit_end_is_kept(book, clinic_day):
    appt = book(at(clinic_day, "9:00"), end=at(clinic_day, "9:45"))

    assert appt.end - appt.start == dt.timedelta(minutes=45)


def test_booking_later_today_is_allowed(book, office, today_chicago, make_template):
    # A block covering the whole of today, whatever weekday it is.
    make_template(office["provider"], office["location"], today_chicago.weekday(), "00:05", "23:55")
    now = at(today_chicago, "0:10")
    appt = book(at(today_chicago, "23:30"), appointment_type=office["types"]["phone"], now=now)

    assert appt.status == Appointment.SCHEDULED


# -- the times ----------------------------------------------------------------------------------


def test_a_start_without_a_time_zone_is_refused(book, clinic_day):
    err = refused(book, start=dt.datetime.combine(clinic_day, dt.time(9, 30)))

    assert (err.code, err.field, err.status) == ("invalid_time", "start", 422)
    assert "time zone offset" in err.message


def test_an_end_before_the_start_is_refused(book, clinic_day):
    err = refused(book, start=at(clinic_day, "9:30"), end=at(clinic_day, "9:00"))

    assert (err.code, err.field, err.status) == ("end_before_start", "end", 422)
    assert err.message == "The end time must be after the start time."


def test_a_day_in_the_past_is_refused(book, today_chicago):
    yesterday = today_chicago - dt.timedelta(days=1)
    err = refused(book, start=at(yesterday, "9:30"))

    assert (err.code, err.field) == ("in_the_past", "start")
    assert "is in the past" in err.message


def test_absurd_years_are_refused_before_any_arithmetic(book):
    err = refused(
        book, start=dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    )

    assert (err.code, err.field) == ("invalid_time", "start")


# -- who and what -------------------------------------------------------------------------------


def test_an_inactive_patient_provider_type_or_location_is_named(
    book, clinic_day, patient, office, location
):
    start = at(clinic_day, "9:30")
    patient.active = False
    patient.save()
    err = refused(book, start=start)
    assert (err.code, err.field) == ("inactive", "patient")
    assert "Maria Lopez's record is inactive" in err.message
    patient.active = True
    patient.save()

    provider = office["provider"]
    provider.active = False
    provider.save()
    err = refused(book, start=start)
    assert (err.code, err.field) == ("inactive", "provider")
    assert err.message == "Dr. Patel is no longer active."
    provider.active = True
    provider.save()

    kind = office["types"]["follow_up"]
    kind.active = False
    kind.save()
    err = refused(book, start=start)
    assert (err.code, err.field) == ("inactive", "appointment_type")
    assert "'Follow-up' is no longer offered" in err.message
    kind.active = True
    kind.save()

    location.active = False
    location.save()
    err = refused(book, start=start)
    assert (err.code, err.field) == ("inactive", "location")


def test_a_provider_who_does_not_work_at_the_location_is_refused(book, clinic_day, practice):
    elsewhere = Location.objects.create(
        practice=practice,
        name="Eastside",
        address1="9 Elm St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
        time_zone="America/Chicago",
    )
    err = refused(book, start=at(clinic_day, "9:30"), location=elsewhere)

    assert (err.code, err.field) == ("not_at_location", "location")
    assert err.message == "Dr. Patel does not see patients at Eastside."


# -- rooms --------------------------------------------------------------------------------------


def test_a_room_of_the_wrong_kind_is_refused(book, clinic_day, office):
    err = refused(book, start=at(clinic_day, "9:30"), room=office["rooms"]["proc"])

    assert (err.code, err.field) == ("wrong_room_kind", "room")
    assert err.message == "'Follow-up' needs an exam room; Procedure is a procedure room."


def test_a_room_at_another_location_is_refused(book, clinic_day, practice):
    elsewhere = Location.objects.create(
        practice=practice,
        name="Eastside",
        address1="9 Elm St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
    )
    far_room = Room.objects.create(location=elsewhere, name="Exam 9")
    err = refused(book, start=at(clinic_day, "9:30"), room=far_room)

    assert (err.code, err.field) == ("not_at_location", "room")
    assert err.message == "Exam 9 is not at Main."


def test_a_telehealth_visit_refuses_a_physical_room(book, clinic_day, office):
    err = refused(
        book,
        start=at(clinic_day, "9:30"),
        appointment_type=office["types"]["video"],
        room=office["rooms"]["exam1"],
    )

    assert (err.code, err.field) == ("wrong_room_kind", "room")
    assert "needs no physical room" in err.message


def test_when_every_room_of_the_kind_is_taken_the_booking_is_refused(
    book, clinic_day, office, make_provider, make_template, location, make_patient_record
):
    book(at(clinic_day, "9:00"), appointment_type=office["types"]["procedure"])
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    make_template(colleague, location, 0, "08:00", "12:00")
    err = refused(
        book,
        start=at(clinic_day, "9:15"),
        provider=colleague,
        patient=make_patient_record(last_name="Kim"),
        appointment_type=office["types"]["procedure"],
    )

    assert (err.code, err.field, err.status) == ("slot_taken", "room", 409)
    assert err.message == "No procedure room is free at Main 9:15–9:45 (all 1 in use)."


def test_a_chosen_room_that_is_taken_names_who_has_it(
    book, clinic_day, office, make_provider, make_template, location, other_patient
):
    book(at(clinic_day, "9:30"), patient=other_patient, room=office["rooms"]["exam2"])
    colleague = make_provider(first_name="Sam", last_name="Okafor")
    make_template(colleague, location, 0, "08:00", "12:00")
    err = refused(
        book, start=at(clinic_day, "9:40"), provider=colleague, room=office["rooms"]["exam2"]
    )

    assert (err.code, err.field) == ("slot_taken", "room")
    assert err.message == "Exam 2 is taken by Lee, M. at 9:30–9:50 (Dr. Patel)."


# -- templates and blocked time -----------------------------------------------------------------


def test_a_time_outside_the_template_is_refused_and_lists_the_blocks(book, clinic_day):
    err = refused(book, start=at(clinic_day, "12:10"))

    assert (err.code, err.field, err.status) == ("outside_template", "start", 422)
    assert "Dr. Patel does not see patients at Main on Monday" in err.message
    assert "12:10–12:30" in err.message
    assert "that day's blocks are 8:00–12:00, 13:00–17:00" in err.message


def test_a_visit_running_past_the_end_of_a_block_is_outside_it(book, clinic_day):
    err = refused(book, start=at(clinic_day, "11:50"))  # 11:50-12:10

    assert err.code == "outside_template"


def test_a_weekend_has_no_blocks(book, clinic_day):
    err = refused(book, start=at(clinic_day + dt.timedelta(days=5), "9:00"))

    assert "there are no blocks that day" in err.message


def test_the_override_books_outside_the_template_and_says_so(book, clinic_day):
    appt = book(at(clinic_day, "18:00"), allow_outside_template=True)

    assert appt.outside_template is True
    assert appt.events.get().detail["overrides"] == ["outside_template"]


def test_a_block_that_does_not_take_the_type_is_refused(book, clinic_day, office, weekday_blocks):
    morning = weekday_blocks[0]  # Monday 8:00-12:00
    morning.appointment_types.set([office["types"]["new"]])
    err = refused(book, start=at(clinic_day, "9:00"))

    assert (err.code, err.field) == ("type_not_allowed", "appointment_type")
    assert "The 8:00–12:00 block of Dr. Patel on Monday" in err.message
    assert "does not take 'Follow-up' visits" in err.message
    assert book(at(clinic_day, "9:00"), appointment_type=office["types"]["new"])


def test_a_block_no_longer_in_effect_does_not_count(book, clinic_day, weekday_blocks):
    for block in weekday_blocks:
        block.effective_to = clinic_day - dt.timedelta(days=1)
        block.save()
    err = refused(book, start=at(clinic_day, "9:00"))

    assert err.code == "outside_template"


def test_the_templates_wall_clock_holds_across_daylight_saving(
    book, office, make_template, today_chicago
):
    # Find the next Monday in summer and in winter: 8:00 local is 13:00 UTC in summer, 14:00 in
    # winter, and both fit the 8:00 block.
    year = today_chicago.year + 1
    summer = dt.date(year, 7, 6)
    winter = dt.date(year, 1, 12)
    summer = summer - dt.timedelta(days=summer.weekday())
    winter = winter - dt.timedelta(days=winter.weekday())
    a = book(at(summer, "8:00"))
    b = book(at(winter, "8:00"))

    assert a.start.astimezone(dt.UTC).hour == 13
    assert b.start.astimezone(dt.UTC).hour == 14


def test_vacation_blocks_booking_and_says_why(book, clinic_day, office):
    ScheduleException.objects.create(
        provider=office["provider"],
        start=at(clinic_day, "0:00"),
        end=at(clinic_day + dt.timedelta(days=5), "0:00"),
        kind=ScheduleException.VACATION,
        reason="Family trip",
    )
    err = refused(book, start=at(clinic_day, "9:30"))

    assert (err.code, err.field) == ("schedule_blocked", "start")
    assert err.message.startswith("That time is blocked for Dr. Patel (vacation, ")
    assert err.message.endswith(": Family trip).")


def test_a_practice_holiday_blocks_everyone_everywhere(book, clinic_day):
    ScheduleException.objects.create(
        start=at(clinic_day, "12:00"),
        end=at(clinic_day, "13:30"),
        kind=ScheduleException.MEETING,
        reason="Staff meeting",
    )
    err = refused(book, start=at(clinic_day, "13:00"))

    assert err.code == "schedule_blocked"
    assert "everyone at Main (meeting" in err.message
    assert book(at(clinic_day, "13:30"))  # right after it


# -- the provider's time ------------------------------------------------------------------------


def test_an_overlap_names_the_appointment_in_the_way(book, clinic_day, other_patient, patient):
    book(at(clinic_day, "9:30"), patient=other_patient)
    err = refused(book, start=at(clinic_day, "9:40"), patient=patient)

    assert (err.code, err.field, err.status) == ("slot_taken", "start", 409)
    assert err.message == "Dr. Patel already has Lee, M. at 9:30–9:50 (Main)."
    assert Appointment.objects.count() == 1


def test_back_to_back_visits_do_not_overlap(book, clinic_day, other_patient):
    book(at(clinic_day, "9:30"))
    after = book(at(clinic_day, "9:50"), patient=other_patient)

    assert after.start == at(clinic_day, "9:50")


def test_a_cancelled_or_no_show_visit_frees_the_time(book, clinic_day, other_patient, front_desk):
    from medoffice.scheduling.services import cancel_appointment

    first = book(at(clinic_day, "9:30"))
    cancel_appointment(actor=front_desk, appointment=first, reason="Patient is sick")
    second = book(at(clinic_day, "9:30"), patient=other_patient)

    assert second.status == Appointment.SCHEDULED


def test_overbooking_needs_a_reason_and_a_provider_who_accepts_it(
    book, clinic_day, other_patient, office
):
    book(at(clinic_day, "9:30"), patient=other_patient)
    provider = office["provider"]

    err = refused(book, start=at(clinic_day, "9:30"), overbook_reason="Urgent: chest pain")
    assert (err.code, err.field, err.status) == ("overbook_not_allowed", "overbook_reason", 409)
    assert err.message == (
        "Dr. Patel does not accept overbooking, and Dr. Patel already has Lee, M. at "
        "9:30–9:50 (Main)."
    )

    provider.accepts_overbook = True
    provider.save()
    err = refused(book, start=at(clinic_day, "9:30"))
    assert err.code == "slot_taken"
    assert err.message.endswith("Dr. Patel accepts overbooking: give a reason to book over it.")

    extra = book(at(clinic_day, "9:30"), overbook_reason="Urgent: chest pain")
    assert extra.overbook is True
    assert extra.overbook_reason == "Urgent: chest pain"
    assert extra.room.name == "Exam 2"  # the free room, not the overbooked one's
    event = extra.events.get()
    assert event.detail["overbook"] is True
    assert event.reason == "Urgent: chest pain"


def test_an_overbook_reason_on_a_free_slot_books_normally(book, clinic_day, office):
    office["provider"].accepts_overbook = True
    office["provider"].save()
    appt = book(at(clinic_day, "9:30"), overbook_reason="just in case")

    assert appt.overbook is False
    assert appt.overbook_reason == ""


def test_an_overbooked_visit_still_holds_its_time_for_ordinary_bookings(
    book, clinic_day, office, other_patient, make_patient_record, front_desk
):
    from medoffice.scheduling.services import cancel_appointment

    office["provider"].accepts_overbook = True
    office["provider"].save()
    first = book(at(clinic_day, "9:30"))
    book(at(clinic_day, "9:30"), patient=other_patient, overbook_reason="Squeeze in")
    cancel_appointment(actor=front_desk, appointment=first, reason="Changed plans")

    err = refused(book, start=at(clinic_day, "9:30"), patient=make_patient_record(last_name="Kim"))
    assert err.message.startswith("Dr. Patel already has Lee, M. at 9:30–9:50")


def test_with_every_room_taken_an_allowed_overbook_books_without_a_room(
    book, clinic_day, office, make_provider, make_template, location, make_patient_record
):
    book(at(clinic_day, "9:00"), appointment_type=office["types"]["procedure"])
    colleague = make_provider(first_name="Sam", last_name="Okafor", accepts_overbook=True)
    make_template(colleague, location, 0, "08:00", "12:00")
    appt = book(
        at(clinic_day, "9:00"),
        provider=colleague,
        patient=make_patient_record(last_name="Kim"),
        appointment_type=office["types"]["procedure"],
        overbook_reason="Only chance this week",
    )

    assert appt.overbook is True
    assert appt.room is None


def test_long_notes_are_refused_with_their_field(book, clinic_day):
    err = refused(book, start=at(clinic_day, "9:30"), notes="x" * 201)

    assert (err.code, err.field) == ("invalid", "notes")


def test_nothing_is_left_behind_by_a_refused_booking(book, clinic_day, other_patient):
    book(at(clinic_day, "9:30"), patient=other_patient)
    refused(book, start=at(clinic_day, "9:30"))

    assert Appointment.objects.count() == 1
    assert AppointmentEvent.objects.count() == 1


def test_the_service_can_be_called_without_a_person_for_system_bookings(
    office, patient, clinic_day
):
    appt = book_appointment(
        actor=None,
        patient=patient,
        provider=office["provider"],
        location=office["location"],
        appointment_type=office["types"]["phone"],
        start=at(clinic_day, "8:00"),
    )

    assert appt.booked_by is None
    assert appt.events.get().by is None
