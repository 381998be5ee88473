"""Putting a patient on the waitlist and taking them off."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.scheduling.models import WaitlistEntry, weekday_mask
from medoffice.scheduling.services import (
    add_to_waitlist,
    mark_waitlist_booked,
    remove_from_waitlist,
)
from tests.scheduling.conftest import at


@pytest.fixture
def wait(office, patient, front_desk, clinic_day):
    def make(**changes):
        values = {
            "actor": front_desk,
            "patient": patient,
            "appointment_type": office["types"]["follow_up"],
            "earliest_date": clinic_day - dt.timedelta(days=20),
            "latest_date": clinic_day,
        }
        values.update(changes)
        return add_to_waitlist(**values)

    return make


def test_an_entry_keeps_the_patients_wishes(wait, office, front_desk):
    entry = wait(
        providers=[office["provider"]],
        location=office["location"],
        preferred_weekdays=[0, 2],
        preferred_time="morning",
        note="Can come on short notice",
    )

    assert entry.status == WaitlistEntry.WAITING
    assert list(entry.providers.all()) == [office["provider"]]
    assert entry.weekdays == [0, 2]
    assert entry.weekdays_display == "Mon, Wed"
    assert entry.accepts_weekday(2) and not entry.accepts_weekday(4)
    assert entry.accepts_local_time(dt.time(9)) and not entry.accepts_local_time(dt.time(14))
    assert entry.created_by == front_desk


def test_no_weekdays_means_any_day(wait):
    entry = wait()

    assert entry.preferred_weekdays == 0
    assert all(entry.accepts_weekday(d) for d in range(7))
    assert entry.weekdays_display == "Any day"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"latest_date": dt.date(2000, 1, 1)}, "latest_date", "invalid_window"),
        ({"preferred_weekdays": [7]}, "preferred_weekdays", "invalid"),
        ({"preferred_weekdays": ["x"]}, "preferred_weekdays", "invalid"),
        ({"preferred_time": "evening"}, "preferred_time", "invalid"),
        ({"note": "n" * 201}, "note", "invalid"),
    ],
)
def test_bad_wishes_are_named(wait, changes, field, code):
    with pytest.raises(DomainError) as caught:
        wait(**changes)

    assert (caught.value.code, caught.value.field, caught.value.status) == (code, field, 422)


def test_a_window_already_past_is_refused(wait, today_chicago):
    with pytest.raises(DomainError) as caught:
        wait(
            earliest_date=today_chicago - dt.timedelta(days=9),
            latest_date=today_chicago - dt.timedelta(days=2),
        )

    assert caught.value.message == "The latest date is already past."


def test_a_provider_who_does_not_work_at_the_chosen_location_is_refused(
    wait, make_provider, practice, office
):
    from medoffice.core.models import Location

    elsewhere = Location.objects.create(
        practice=practice,
        name="Eastside",
        address1="9 Elm St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
    )
    with pytest.raises(DomainError) as caught:
        wait(providers=[office["provider"]], location=elsewhere)

    assert (caught.value.code, caught.value.field) == ("not_at_location", "providers")


def test_removing_an_entry_records_who_and_why_and_happens_once(wait, front_desk):
    entry = wait()
    removed = remove_from_waitlist(actor=front_desk, entry=entry, reason="Booked elsewhere")

    assert removed.status == WaitlistEntry.REMOVED
    assert (removed.removed_by, removed.removed_reason) == (front_desk, "Booked elsewhere")
    with pytest.raises(DomainError) as caught:
        remove_from_waitlist(actor=front_desk, entry=entry)
    assert (caught.value.code, caught.value.status) == ("invalid_transition", 409)


def test_weekday_mask():
    assert weekday_mask([]) == 0
    assert weekday_mask([0, 6]) == 0b100_0001
    with pytest.raises(ValueError, match="0 \\(Monday\\) to 6"):
        weekday_mask([9])


def test_marking_an_entry_booked_keeps_the_visit_and_happens_once(wait, book, clinic_day):
    entry = wait()
    visit = book(start=at(clinic_day, "09:00"))

    booked = mark_waitlist_booked(entry=entry, appointment=visit)

    assert (booked.status, booked.booked_appointment) == (WaitlistEntry.BOOKED, visit)
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.BOOKED
    with pytest.raises(DomainError) as caught:
        mark_waitlist_booked(entry=entry, appointment=visit)
    assert (caught.value.code, caught.value.status) == ("invalid_transition", 409)


def test_an_entry_is_not_closed_by_another_patients_visit(wait, book, other_patient, clinic_day):
    entry = wait()
    visit = book(patient=other_patient, start=at(clinic_day, "09:00"))

    with pytest.raises(DomainError) as caught:
        mark_waitlist_booked(entry=entry, appointment=visit)

    assert (caught.value.field, caught.value.status) == ("entry", 422)
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistEntry.WAITING
