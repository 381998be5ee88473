"""The insurance chosen for a visit: the patient's own, in force on the visit's date; a move
keeps it while it still covers the new date; the visit panel says what will be billed."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.patients.models import Coverage, Payer
from medoffice.scheduling.services import reschedule_appointment
from tests.scheduling.conftest import at
from tests.scheduling.schedule_pages import page_text


@pytest.fixture
def payer(db) -> Payer:
    return Payer.objects.create(name="Prairie Health Plan", kind=Payer.COMMERCIAL, payer_id="PHP01")


@pytest.fixture
def cover(payer):
    def make(patient, *, start=dt.date(2024, 1, 1), end=None, order=Coverage.PRIMARY) -> Coverage:
        coverage = Coverage(
            patient=patient, payer=payer, effective_date=start, end_date=end, order=order
        )
        coverage.set_member_id("PHP123456789")
        coverage.save()
        return coverage

    return make


def test_a_visit_keeps_the_coverage_chosen_for_it(book, cover, patient, clinic_day):
    coverage = cover(patient)

    visit = book(at(clinic_day, "9:30"), coverage=coverage)

    assert visit.coverage == coverage


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        (
            dt.date(2024, 1, 1),
            dt.date(2024, 12, 31),
            "The Prairie Health Plan coverage ended on 12/31/2024",
        ),
        (dt.date(2099, 1, 1), None, "The Prairie Health Plan coverage starts on 01/01/2099"),
    ],
)
def test_a_coverage_not_in_force_that_day_is_refused(
    book, cover, patient, clinic_day, start, end, says
):
    coverage = cover(patient, start=start, end=end)

    with pytest.raises(DomainError) as caught:
        book(at(clinic_day, "9:30"), coverage=coverage)

    assert (caught.value.code, caught.value.field, caught.value.status) == (
        "inactive_coverage",
        "coverage",
        422,
    )
    assert caught.value.message.startswith(says)


def test_another_patients_coverage_is_refused(book, cover, other_patient, clinic_day):
    with pytest.raises(DomainError) as caught:
        book(at(clinic_day, "9:30"), coverage=cover(other_patient))

    assert (caught.value.field, caught.value.message) == (
        "coverage",
        "That coverage belongs to another patient.",
    )


def test_a_move_keeps_the_coverage_only_while_it_covers_the_new_date(
    book, cover, patient, front_desk, clinic_day
):
    ends = clinic_day + dt.timedelta(days=7)
    coverage = cover(patient, end=ends)
    visit = book(at(clinic_day, "9:30"), coverage=coverage)

    moved = reschedule_appointment(
        actor=front_desk, appointment=visit, start=at(clinic_day, "10:30")
    )
    assert moved.coverage == coverage
    later = reschedule_appointment(
        actor=front_desk, appointment=moved, start=at(clinic_day + dt.timedelta(weeks=2), "9:30")
    )
    assert later.coverage is None


def test_the_visit_panel_says_which_insurance_applies(
    client_as, book, cover, patient, office, clinic_day
):
    desk = client_as("front_desk", home_location=office["location"])
    visit = book(at(clinic_day, "9:30"))
    url = f"/schedule/appointments/{visit.pk}/"

    assert "Insurance No active coverage on" in page_text(desk.get(url))
    cover(patient)
    assert "Insurance Prairie Health Plan (primary)" in page_text(desk.get(url))


def test_the_api_books_with_a_coverage_and_names_a_bad_one(
    client_as, cover, patient, office, clinic_day
):
    import json

    desk = client_as("front_desk", home_location=office["location"])
    body = {
        "patient": patient.pk,
        "provider": office["provider"].pk,
        "location": office["location"].pk,
        "appointment_type": office["types"]["follow_up"].pk,
        "start": at(clinic_day, "9:30").isoformat(),
    }
    ended = cover(patient, end=dt.date(2025, 1, 31))
    refused = desk.post(
        "/api/v1/appointments",
        json.dumps({**body, "coverage": ended.pk}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("inactive_coverage", "coverage")

    unknown = desk.post(
        "/api/v1/appointments",
        json.dumps({**body, "coverage": 987654}),
        content_type="application/json",
    )
    assert (unknown.status_code, unknown.json()["field"]) == (422, "coverage")

    current = cover(patient, order=Coverage.SECONDARY)
    booked = desk.post(
        "/api/v1/appointments",
        json.dumps({**body, "coverage": current.pk}),
        content_type="application/json",
    )
    assert booked.status_code == 201, booked.json()
    assert booked.json()["coverage"] == current.pk
