"""GET /api/v1/slots and GET /api/v1/waitlist/matches: the contract, its errors, no 500s."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest

from medoffice.core.models import AccessLogEntry
from medoffice.scheduling.services import add_to_waitlist, cancel_appointment
from tests.scheduling.conftest import at


@pytest.fixture
def api(client_as, office):
    """api(**params) -> the response of GET /api/v1/slots, signed in as the front desk."""
    client = client_as("front_desk")

    def get(path="/api/v1/slots", **params):
        return client.get(f"{path}?{urlencode(params, doseq=True)}")

    get.client = client
    return get


@pytest.fixture
def window(clinic_day):
    return {
        "start": at(clinic_day, "0:00").isoformat(),
        "end": at(clinic_day + dt.timedelta(days=7), "0:00").isoformat(),
    }


def test_slots_come_earliest_first_in_the_locations_zone(api, office, window, clinic_day):
    got = api(appointment_type=office["types"]["follow_up"].pk, limit=2, **window)

    assert got.status_code == 200
    assert got.json() == [
        {
            "provider": office["provider"].pk,
            "location": office["location"].pk,
            "room": office["rooms"]["exam1"].pk,
            "start": at(clinic_day, "8:00").isoformat(),
            "end": at(clinic_day, "8:20").isoformat(),
            "provider_name": "Priya Patel, MD",
            "location_name": "Main",
            "room_name": "Exam 1",
        },
        {
            "provider": office["provider"].pk,
            "location": office["location"].pk,
            "room": office["rooms"]["exam1"].pk,
            "start": at(clinic_day, "8:15").isoformat(),
            "end": at(clinic_day, "8:35").isoformat(),
            "provider_name": "Priya Patel, MD",
            "location_name": "Main",
            "room_name": "Exam 1",
        },
    ]
    assert got.json()[0]["start"].endswith("-06:00")


def test_providers_repeat_or_are_left_out_for_any(
    api, office, window, make_provider, make_template
):
    lee = make_provider(first_name="Ann", last_name="Lee", credentials="NP")
    make_template(lee, office["location"], 0, "07:00", "08:00")
    kind = office["types"]["follow_up"].pk

    anyone = api(appointment_type=kind, limit=1, **window).json()
    both = api(appointment_type=kind, provider=[office["provider"].pk, lee.pk], **window).json()
    patel = api(appointment_type=kind, provider=office["provider"].pk, limit=1, **window).json()

    assert anyone[0]["provider"] == lee.pk
    assert {s["provider"] for s in both} == {lee.pk, office["provider"].pk}
    assert patel[0]["provider"] == office["provider"].pk
    at_main = api(appointment_type=kind, location=office["location"].pk, **window).json()
    assert len(at_main) == 10


def test_wishes_and_a_plus_sent_as_a_space(api, office, clinic_day):
    start = at(clinic_day, "0:00").isoformat().replace("-06:00", "+00:00")
    got = api(
        appointment_type=office["types"]["follow_up"].pk,
        start=start.replace("+", " "),
        weekday=[2],
        time="13:00-14:00",
        limit=1,
    )

    assert got.status_code == 200, got.json()
    assert got.json()[0]["start"] == at(clinic_day + dt.timedelta(days=2), "13:00").isoformat()


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"appointment_type": None}, "appointment_type", "invalid"),
        ({"appointment_type": "x"}, "appointment_type", "invalid"),
        ({"appointment_type": 999999}, "appointment_type", "not_found"),
        ({"provider": 999999}, "provider", "not_found"),
        ({"provider": ["1", "-1"]}, "provider", "invalid"),
        ({"location": 999999}, "location", "not_found"),
        ({"patient": 999999}, "patient", "not_found"),
        ({"provider": str(2**70)}, "provider", "invalid"),
        ({"start": "2026-03-02T09:00:00"}, "start", "invalid_time"),
        ({"start": "yesterday"}, "start", "invalid_time"),
        ({"end": "2020-01-01T00:00:00+00:00"}, "end", "end_before_start"),
        ({"end": "2099-01-01T00:00:00+00:00"}, "end", "invalid_window"),
        ({"start": "1900-01-01T00:00:00+00:00"}, "start", "invalid_time"),
        ({"limit": 0}, "limit", "invalid"),
        ({"limit": 101}, "limit", "invalid"),
        ({"limit": "ten"}, "limit", "invalid"),
        ({"limit": "9" * 40}, "limit", "invalid"),
        ({"weekday": 7}, "weekday", "invalid"),
        ({"weekday": "mon"}, "weekday", "invalid"),
        ({"time": "evening"}, "time", "invalid"),
    ],
)
def test_bad_requests_are_422_naming_the_parameter(api, office, params, field, code):
    params = {"appointment_type": office["types"]["follow_up"].pk, **params}
    params = {name: value for name, value in params.items() if value is not None}

    got = api(**params)

    assert got.status_code == 422, got.content
    assert (got.json()["field"], got.json()["code"]) == (field, code)
    assert got.json()["detail"]


def test_nothing_a_caller_sends_is_a_500(api, office):
    junk = ["", " ", "0", "-0", "1e9", "٣", "NaN", "null", "%00", "'; drop", "2026-02-30T09:00Z"]
    for value in junk:
        for name in ("appointment_type", "provider", "location", "start", "end", "limit"):
            params = {"appointment_type": office["types"]["follow_up"].pk, name: value}
            got = api(**params)
            assert got.status_code in (200, 422), (name, value, got.content)


def test_the_count_of_queries_is_fixed(
    api, office, window, make_provider, make_template, django_assert_max_num_queries
):
    kind = office["types"]["follow_up"].pk
    api(appointment_type=kind, **window)  # session and permission caches warm
    with django_assert_max_num_queries(15) as few:  # session, user, office, perms: 6
        api(appointment_type=kind, **window)
    for n in range(5):
        other = make_provider(first_name="A", last_name=f"Lee{n}", credentials="NP")
        make_template(other, office["location"], 0, "08:00", "12:00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api(appointment_type=kind, limit=50, **window).json()) == 50


def test_roles_without_the_schedule_get_403(client_as, office):
    auditor = client_as("auditor")
    got = auditor.get(f"/api/v1/slots?appointment_type={office['types']['follow_up'].pk}")

    assert got.status_code == 403
    assert got.json()["code"] == "permission_denied"


# -- waitlist matches ---------------------------------------------------------------------


@pytest.fixture
def freed(book, front_desk, clinic_day):
    appointment = book(at(clinic_day, "9:30"))
    return cancel_appointment(actor=front_desk, appointment=appointment, reason="moved away")


def test_matches_list_waiting_patients_in_order_and_log_the_read(
    api, freed, office, front_desk, make_patient_record, clinic_day
):
    names = []
    for n, first in enumerate(("Ann", "Bob")):
        patient = make_patient_record(first_name=first, last_name="Diaz")
        add_to_waitlist(
            actor=front_desk,
            patient=patient,
            appointment_type=office["types"]["follow_up"],
            earliest_date=clinic_day,
            latest_date=clinic_day + dt.timedelta(days=3),
            now=dt.datetime(2026, 1, 1, 9, n, tzinfo=dt.UTC),
        )
        names.append(f"Diaz, {first}")

    got = api("/api/v1/waitlist/matches", appointment=freed.pk)

    assert got.status_code == 200
    assert [(m["rank"], m["patient_name"]) for m in got.json()] == [(1, names[0]), (2, names[1])]
    assert got.json()[0]["appointment_type"] == office["types"]["follow_up"].pk
    assert AccessLogEntry.objects.filter(
        object_type="waitlist matches", object_id=str(freed.pk)
    ).exists()


def test_matches_need_a_cancelled_appointment_still_free(
    api, freed, book, clinic_day, other_patient
):
    live = book(at(clinic_day, "11:00"))
    assert api("/api/v1/waitlist/matches", appointment=live.pk).json()["field"] == "appointment"
    missing = api("/api/v1/waitlist/matches", appointment=freed.pk + 999)
    assert (missing.status_code, missing.json()["code"]) == (422, "not_found")
    assert api("/api/v1/waitlist/matches").status_code == 422
    assert api("/api/v1/waitlist/matches", appointment="x").status_code == 422

    book(at(clinic_day, "9:30"), patient=other_patient)
    taken = api("/api/v1/waitlist/matches", appointment=freed.pk)
    assert (taken.status_code, taken.json()["code"]) == (409, "slot_taken")
