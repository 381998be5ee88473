"""Waitlist matching: who fits a freed slot, in the order the front desk calls them."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling.models import Appointment, ScheduleException, WaitlistEntry
from medoffice.scheduling.services import add_to_waitlist, cancel_appointment
from medoffice.scheduling.waitlist_matching import (
    book_from_waitlist,
    freed_slot_of,
    freed_slots,
    matches_for_slots,
    slot_of,
    waitlist_matches,
)
from tests.scheduling.conftest import at

WHEN = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def wait(office, front_desk, clinic_day, make_patient_record):
    """wait(minutes_ago=..., **wishes) -> an entry for a new patient wanting a follow-up."""

    def make(*, created=0, **changes):
        values = {
            "actor": front_desk,
            "patient": make_patient_record(first_name=f"P{created}"),
            "appointment_type": office["types"]["follow_up"],
            "earliest_date": clinic_day - dt.timedelta(days=10),
            "latest_date": clinic_day + dt.timedelta(days=10),
            "now": WHEN + dt.timedelta(minutes=created),
        }
        values.update(changes)
        return add_to_waitlist(**values)

    return make


@pytest.fixture
def cancelled(book, front_desk, clinic_day):
    """A follow-up with Dr. Patel at Main, Monday 9:30, cancelled just now."""
    appointment = book(at(clinic_day, "9:30"))
    return cancel_appointment(actor=front_desk, appointment=appointment, reason="sick child")


def names(entries) -> list[str]:
    return [e.patient.first_name for e in entries]


def test_entries_that_fit_the_freed_slot_oldest_first(wait, cancelled, office, clinic_day):
    wait(created=3)
    wait(created=1, providers=[office["provider"]], location=office["location"])
    wait(created=2, preferred_weekdays=[0], preferred_time="morning")

    assert names(waitlist_matches(appointment=cancelled)) == ["P1", "P2", "P3"]


def test_ties_go_to_the_narrower_window(wait, clinic_day, cancelled):
    wait(created=5)
    wait(
        created=5,
        earliest_date=clinic_day,
        latest_date=clinic_day + dt.timedelta(days=1),
    )
    wait(created=4)

    assert names(waitlist_matches(appointment=cancelled)) == ["P4", "P5", "P5"]
    narrow, wide = waitlist_matches(appointment=cancelled)[1:]
    assert (narrow.latest_date - narrow.earliest_date) < (wide.latest_date - wide.earliest_date)


@pytest.mark.parametrize(
    "wish",
    [
        "another type",
        "another provider",
        "another location",
        "window ends before",
        "window starts after",
        "another weekday",
        "afternoons",
    ],
)
def test_entries_that_do_not_fit_are_left_out(
    wish, wait, cancelled, office, make_provider, practice, clinic_day
):
    changes = {
        "another type": {"appointment_type": office["types"]["new"]},
        "another provider": {"providers": [make_provider(first_name="A", last_name="Lee")]},
        "another location": {
            "location": Location.objects.create(
                practice=practice, name="North", time_zone="America/New_York"
            )
        },
        "window ends before": {"latest_date": clinic_day - dt.timedelta(days=1)},
        "window starts after": {"earliest_date": clinic_day + dt.timedelta(days=1)},
        "another weekday": {"preferred_weekdays": [1, 2, 3, 4]},
        "afternoons": {"preferred_time": "afternoon"},
    }[wish]
    wait(**changes)

    assert waitlist_matches(appointment=cancelled) == []


def test_the_patient_who_cancelled_and_closed_entries_are_left_out(
    wait, cancelled, front_desk, office, clinic_day
):
    own = add_to_waitlist(
        actor=front_desk,
        patient=cancelled.patient,
        appointment_type=office["types"]["follow_up"],
        earliest_date=clinic_day,
        latest_date=clinic_day,
    )
    removed = wait(created=1)
    removed.status = WaitlistEntry.REMOVED  # as remove_from_waitlist leaves it
    removed.save()

    assert waitlist_matches(appointment=cancelled) == []
    assert waitlist_matches(slot=slot_of(cancelled)) == [own]  # a slot alone excludes nobody


def test_only_a_cancelled_appointment_has_matches(book, clinic_day):
    appointment = book(at(clinic_day, "9:30"))

    with pytest.raises(DomainError) as caught:
        waitlist_matches(appointment=appointment)
    assert (caught.value.field, caught.value.status) == ("appointment", 422)


def test_many_slots_cost_two_queries(
    wait, book, front_desk, clinic_day, office, django_assert_num_queries
):
    for n in range(6):
        wait(created=n)
    slots = []
    for start in ("8:00", "9:00", "10:00", "13:00"):
        appointment = book(at(clinic_day, start))
        cancel_appointment(actor=front_desk, appointment=appointment, reason="moved away")
        slots.append(slot_of(appointment))

    with django_assert_num_queries(2):
        matched = matches_for_slots(slots)
    assert [len(m) for m in matched] == [6, 6, 6, 6]


# -- freed slots ------------------------------------------------------------------------------


def test_freed_slots_are_recent_cancellations_still_ahead_and_free(
    book, front_desk, clinic_day, cancelled, other_patient
):
    old = book(at(clinic_day, "10:00"))
    cancel_appointment(
        actor=front_desk,
        appointment=old,
        reason="moved",
        now=dt.datetime.now(dt.UTC) - dt.timedelta(days=10),
    )
    rebooked = book(at(clinic_day, "11:00"))
    cancel_appointment(actor=front_desk, appointment=rebooked, reason="moved")
    book(at(clinic_day, "11:10"), patient=other_patient)  # takes part of that time again

    freed = freed_slots()

    assert [f.appointment for f in freed] == [cancelled]
    assert freed[0].slot.local_hours == "9:30–9:50"
    assert freed_slots(now=at(clinic_day, "9:31")) == []  # once it has begun, it is gone


def test_blocked_time_since_takes_a_freed_slot_away(cancelled, office, clinic_day):
    ScheduleException.objects.create(
        provider=office["provider"], start=at(clinic_day, "9:00"), end=at(clinic_day, "10:00")
    )

    assert freed_slots() == []
    with pytest.raises(DomainError) as caught:
        freed_slot_of(cancelled)
    assert caught.value.code == "schedule_blocked"


def test_a_time_cancelled_twice_is_listed_once(book, front_desk, clinic_day, cancelled):
    again = book(at(clinic_day, "9:30"))
    cancel_appointment(actor=front_desk, appointment=again, reason="again")

    assert len(freed_slots()) == 1


def test_freed_slot_of_says_why_there_is_nothing_to_fill(book, cancelled, clinic_day):
    assert freed_slot_of(cancelled).start == at(clinic_day, "9:30")
    book(at(clinic_day, "9:30"))
    with pytest.raises(DomainError) as caught:
        freed_slot_of(cancelled)
    assert (caught.value.code, caught.value.status) == ("slot_taken", 409)
    with pytest.raises(DomainError) as caught:
        freed_slot_of(cancelled, now=at(clinic_day, "10:00"))
    assert caught.value.code == "in_the_past"


# -- booking from the waitlist ----------------------------------------------------------------


def test_booking_a_match_books_the_patient_and_closes_the_entry(
    wait, cancelled, front_desk, clinic_day
):
    entry = wait(created=1)

    appointment = book_from_waitlist(actor=front_desk, entry=entry, slot=slot_of(cancelled))

    assert appointment.patient == entry.patient
    assert appointment.start == at(clinic_day, "9:30")
    assert appointment.status == Appointment.SCHEDULED
    entry.refresh_from_db()
    assert (entry.status, entry.booked_appointment) == (WaitlistEntry.BOOKED, appointment)
    assert freed_slots() == []


def test_a_slot_taken_meanwhile_leaves_the_entry_waiting(
    wait, cancelled, book, front_desk, clinic_day, other_patient
):
    entry = wait(created=1)
    book(at(clinic_day, "9:30"), patient=other_patient)

    with pytest.raises(DomainError) as caught:
        book_from_waitlist(actor=front_desk, entry=entry, slot=slot_of(cancelled))

    assert caught.value.code == "slot_taken"
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.WAITING
    with pytest.raises(DomainError) as caught:
        book_from_waitlist(actor=front_desk, entry=entry.pk + 1000, slot=slot_of(cancelled))
    assert caught.value.status == 404


# --- the front desk's home page ----------------------------------------------------------


def test_the_home_page_tells_the_front_desk_a_freed_time_fits_waiting_patients(
    client_as, wait, cancelled, office, clinic_day
):
    from tests.scheduling.schedule_pages import page_text

    wait(created=1)
    wait(created=2)
    desk = client_as("front_desk", home_location=office["location"])

    text = page_text(desk.get("/"))

    assert "Waitlist: freed times" in text
    assert "1 freed time at Main fits 2 waiting patients" in text
    assert f"{clinic_day:%a %b} {clinic_day.day}, 9:30–9:50 with Dr. Patel (2 waiting)" in text
    assert f"/waitlist/?location={office['location'].pk}" in desk.get("/").content.decode()


def test_no_freed_time_panel_when_nobody_fits_or_for_other_roles(
    client_as, wait, cancelled, office
):
    from tests.scheduling.schedule_pages import page_text

    desk = client_as("front_desk", home_location=office["location"])
    assert "Waitlist: freed times" not in page_text(desk.get("/"))  # nobody waiting yet
    wait(created=1)
    assert "Waitlist: freed times" in page_text(desk.get("/"))
    biller = client_as("biller", home_location=office["location"])  # signs the client in anew
    assert "Waitlist: freed times" not in page_text(biller.get("/"))
