"""The "Next available" and "Waitlist" pages as the front desk uses them."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl, urlencode

import pytest
from django.urls import reverse

from medoffice.core.models import AccessLogEntry
from medoffice.scheduling.models import Appointment, WaitlistEntry
from medoffice.scheduling.services import add_to_waitlist, cancel_appointment
from tests.scheduling.conftest import at


@pytest.fixture
def desk(client_as, office):
    return client_as("front_desk")


def search(client, **params):
    return client.get(f"{reverse('next_available')}?{urlencode(params, doseq=True)}")


def text(response) -> str:
    return response.content.decode()


def slot_query(office, start: dt.datetime, **extra) -> str:
    params = {
        "provider": office["provider"].pk,
        "location": office["location"].pk,
        "appointment_type": office["types"]["follow_up"].pk,
        "start": start.astimezone(dt.UTC).isoformat(),
        **extra,
    }
    return urlencode(params)


# -- finding ---------------------------------------------------------------------------------


def test_the_page_asks_for_the_visit_type_first(desk):
    got = desk.get(reverse("next_available"))

    assert got.status_code == 200
    assert "Choose the visit type to see the first open times." in text(got)
    assert 'href="/next-available/"' in text(desk.get("/"))  # in the navigation


def test_the_first_open_times_with_a_book_button_each(desk, office, clinic_day):
    got = search(
        desk,
        appointment_type=office["types"]["follow_up"].pk,
        from_date=clinic_day.isoformat(),
        limit=10,
    )

    page = text(got)
    assert got.status_code == 200
    assert f"Monday {clinic_day.day} {clinic_day:%B %Y}" in page
    assert "8:00–8:20" in page and "10:15–10:35" in page
    assert "Priya Patel, MD" in page and "Exam 1" in page
    assert page.count(">Book</a>") == 10


def test_htmx_gets_the_finder_block_only(desk, office, clinic_day):
    got = desk.get(
        reverse("next_available"),
        {"appointment_type": office["types"]["video"].pk, "from_date": clinic_day.isoformat()},
        headers={"HX-Request": "true"},
    )

    assert got.status_code == 200
    assert text(got).startswith('<div id="finder">')
    assert "<html" not in text(got)
    assert "none needed" in text(got)


def test_wishes_narrow_the_times(desk, office, clinic_day):
    got = search(
        desk,
        appointment_type=office["types"]["follow_up"].pk,
        from_date=clinic_day.isoformat(),
        weekdays=[2],
        time_of_day="between",
        time_from="14:00",
        time_to="15:00",
        limit=10,
    )

    wednesday = clinic_day + dt.timedelta(days=2)
    assert f"Wednesday {wednesday.day}" in text(got)
    assert "14:00–14:20" in text(got) and "14:45–15:05" not in text(got)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"to_date": "2000-01-01"}, "The last day cannot be before the first day."),
        ({"appointment_type": "999999"}, "Choose a visit type from the list."),
        ({"appointment_type": ""}, "Choose the visit type."),
        ({"time_of_day": "between", "time_from": "15:00", "time_to": "14:00"}, "must be after"),
        ({"from_date": "3001-01-01"}, "between 2000 and 2100"),
        ({"to_date": "2099-01-01"}, "Search at most 366 days"),
    ],
)
def test_bad_input_is_named_on_its_field(desk, office, clinic_day, params, message):
    values = {
        "appointment_type": office["types"]["follow_up"].pk,
        "from_date": clinic_day.isoformat(),
        **params,
    }
    got = search(desk, **values)

    assert got.status_code == 422
    assert message in text(got)
    assert "has-error" in text(got)


def test_nothing_open_says_what_to_try(desk, office, clinic_day):
    got = search(
        desk,
        appointment_type=office["types"]["follow_up"].pk,
        from_date=clinic_day.isoformat(),
        to_date=clinic_day.isoformat(),
        weekdays=[5, 6],
    )

    assert "No open time for this visit in these days." in text(got)


def test_the_page_costs_the_same_queries_for_more_providers(
    desk, office, clinic_day, make_provider, make_template, django_assert_max_num_queries
):
    params = {"appointment_type": office["types"]["follow_up"].pk, "from_date": clinic_day}
    search(desk, **params)
    with django_assert_max_num_queries(30) as first:
        search(desk, **params)
    for n in range(6):
        other = make_provider(first_name="Ann", last_name=f"Lee{n}", credentials="NP")
        make_template(other, office["location"], 0, "08:00", "12:00")

    with django_assert_max_num_queries(len(first.captured_queries)):
        search(desk, **params)


def test_roles_without_booking(client_as, office, clinic_day):
    assistant = client_as("medical_assistant")  # may look, may not book
    page = search(assistant, appointment_type=office["types"]["follow_up"].pk)
    assert page.status_code == 200 and ">Book</a>" not in text(page)
    refused = assistant.post(reverse("next_available_book"), {"patient": 1})
    assert refused.status_code == 403

    assert client_as("biller").get(reverse("next_available")).status_code == 403


# -- booking a time ----------------------------------------------------------------------------


def test_book_asks_for_the_patient_and_books(desk, office, clinic_day, patient):
    query = slot_query(office, at(clinic_day, "8:15"), back="appointment_type=1")
    form = desk.get(f"{reverse('next_available_book')}?{query}&q=lopez")

    assert form.status_code == 200
    assert "8:15–8:35" in text(form)
    assert "Lopez, Maria" in text(form)  # the search typed without JavaScript
    assert AccessLogEntry.objects.filter(object_type="patient list", detail="search: lopez")

    done = desk.post(
        reverse("next_available_book"),
        {**dict(parse_qsl(query)), "patient": patient.pk},
    )

    appointment = Appointment.objects.get()
    assert (appointment.patient, appointment.start) == (patient, at(clinic_day, "8:15"))
    assert done.status_code == 302
    assert done["Location"] == f"{reverse('next_available')}?appointment_type=1"
    shown = text(desk.get(done["Location"]))
    assert "Booked Lopez, Maria with Dr. Patel" in shown


def test_patient_search_answers_with_choices(desk, patient):
    got = desk.get(reverse("slot_patient_search"), {"q": "Lopez"})

    assert got.status_code == 200
    assert f'value="{patient.pk}"' in text(got)
    assert "MRN" in text(got)


def test_a_time_taken_meanwhile_shows_the_services_message_and_the_fresh_list(
    desk, office, clinic_day, patient, other_patient, book
):
    book(at(clinic_day, "8:15"), patient=other_patient)  # someone was quicker
    back = urlencode({"appointment_type": office["types"]["follow_up"].pk, "from_date": clinic_day})
    form = desk.get(
        f"{reverse('next_available_book')}?{slot_query(office, at(clinic_day, '8:15'))}"
    )
    assert "This time is no longer open" in text(form)

    got = desk.post(
        reverse("next_available_book"),
        {
            "provider": office["provider"].pk,
            "location": office["location"].pk,
            "appointment_type": office["types"]["follow_up"].pk,
            "start": at(clinic_day, "8:15").isoformat(),
            "patient": patient.pk,
            "back": back,
        },
        follow=True,
    )

    page = text(got)
    assert "Not booked: Dr. Patel already has Lee, M. at 8:15–8:35 (Main)." in page
    listed = page[page.index('class="slot-results"') :]
    assert "8:45–9:05" in listed and "8:15–8:35" not in listed  # the list as it is now
    assert Appointment.objects.count() == 1


def test_htmx_booking_answers_with_a_redirect_header(desk, office, clinic_day, patient):
    got = desk.post(
        reverse("next_available_book"),
        {
            "provider": office["provider"].pk,
            "location": office["location"].pk,
            "appointment_type": office["types"]["follow_up"].pk,
            "start": at(clinic_day, "9:00").isoformat(),
            "patient": patient.pk,
        },
        headers={"HX-Request": "true"},
    )

    assert got.status_code == 204
    assert got["HX-Redirect"].startswith(reverse("next_available"))


def test_booking_without_a_patient_or_with_a_bad_link(desk, office, clinic_day):
    missing = desk.post(
        reverse("next_available_book"),
        {
            "provider": office["provider"].pk,
            "location": office["location"].pk,
            "appointment_type": office["types"]["follow_up"].pk,
            "start": at(clinic_day, "9:00").isoformat(),
        },
    )
    assert missing.status_code == 422
    assert "Search for the patient and choose one from the list." in text(missing)

    broken = desk.get(f"{reverse('next_available_book')}?provider=x&start=soon")
    assert broken.status_code == 400
    assert "This link does not name a time" in text(broken)


def test_a_refusal_that_is_not_a_race_stays_on_the_form(
    desk, office, clinic_day, make_patient_record
):
    gone = make_patient_record(first_name="Gone", active=False)

    got = desk.post(
        reverse("next_available_book"),
        {
            "provider": office["provider"].pk,
            "location": office["location"].pk,
            "appointment_type": office["types"]["follow_up"].pk,
            "start": at(clinic_day, "9:00").isoformat(),
            "patient": gone.pk,
        },
    )

    assert got.status_code == 422
    assert "record is inactive" in text(got)


# -- the waitlist page -------------------------------------------------------------------------


@pytest.fixture
def freed(book, front_desk, clinic_day):
    appointment = book(at(clinic_day, "9:30"))
    return cancel_appointment(actor=front_desk, appointment=appointment, reason="car trouble")


@pytest.fixture
def waiting(office, front_desk, clinic_day, make_patient_record):
    entries = []
    for n, first in enumerate(("Ann", "Bob", "Cy")):
        entries.append(
            add_to_waitlist(
                actor=front_desk,
                patient=make_patient_record(first_name=first, last_name="Diaz"),
                appointment_type=office["types"]["follow_up"],
                earliest_date=clinic_day - dt.timedelta(days=3),
                latest_date=clinic_day + dt.timedelta(days=3),
                preferred_time="afternoon" if first == "Cy" else "any",
                now=dt.datetime(2026, 1, 1, 9, n, tzinfo=dt.UTC),
            )
        )
    return entries


def test_the_waitlist_shows_freed_times_and_who_fits_in_order(desk, freed, waiting):
    got = desk.get(reverse("waitlist"))

    page = text(got)
    assert got.status_code == 200
    assert "9:30–9:50" in page and "car trouble" in page
    freed_part = page[page.index("Freed by recent") : page.index("Waiting (")]
    assert freed_part.index("Diaz, Ann") < freed_part.index("Diaz, Bob")
    assert "Diaz, Cy" not in freed_part  # wants afternoons
    assert "Waiting (3)" in page
    assert AccessLogEntry.objects.filter(object_type="waitlist").exists()


def test_book_from_the_waitlist(desk, freed, waiting, clinic_day):
    got = desk.post(
        reverse("waitlist_book"),
        {"entry": waiting[1].pk, "appointment": freed.pk},
        follow=True,
    )

    assert "Booked Diaz, Bob with Dr. Patel" in text(got)
    booked = Appointment.objects.get(status=Appointment.SCHEDULED)
    assert booked.patient == waiting[1].patient
    waiting[1].refresh_from_db()
    assert waiting[1].status == WaitlistEntry.BOOKED
    assert "Nobody on the waitlist fits" not in text(got)
    assert "No cancellation in the last days" in text(got)  # the time is filled


def test_booking_a_time_taken_meanwhile_from_the_waitlist(
    desk, freed, waiting, book, clinic_day, other_patient
):
    book(at(clinic_day, "9:30"), patient=other_patient)

    got = desk.post(
        reverse("waitlist_book"), {"entry": waiting[0].pk, "appointment": freed.pk}, follow=True
    )

    assert "Not booked:" in text(got) and "has been booked again" in text(got)
    waiting[0].refresh_from_db()
    assert waiting[0].status == WaitlistEntry.WAITING


def test_add_and_remove_entries(desk, office, patient, clinic_day):
    form = desk.get(reverse("waitlist_add"))
    assert form.status_code == 200

    added = desk.post(
        reverse("waitlist_add"),
        {
            "patient": patient.pk,
            "appointment_type": office["types"]["new"].pk,
            "earliest_date": clinic_day.isoformat(),
            "latest_date": (clinic_day + dt.timedelta(days=14)).isoformat(),
            "preferred_weekdays": [0, 4],
            "preferred_time": "morning",
            "note": "Can come at short notice",
        },
        follow=True,
    )
    entry = WaitlistEntry.objects.get()
    assert (entry.weekdays, entry.preferred_time) == ([0, 4], "morning")
    assert "Lopez, Maria is on the waitlist." in text(added)

    removed = desk.post(
        reverse("waitlist_remove", args=[entry.pk]), {"reason": "found a time"}, follow=True
    )
    entry.refresh_from_db()
    assert (entry.status, entry.removed_reason) == (WaitlistEntry.REMOVED, "found a time")
    assert "is off the waitlist" in text(removed)
    again = desk.post(reverse("waitlist_remove", args=[entry.pk]), follow=True)
    assert "already removed" in text(again)


def test_a_waitlist_entry_the_service_refuses_is_shown_on_the_form(desk, office, patient):
    got = desk.post(
        reverse("waitlist_add"),
        {
            "patient": patient.pk,
            "appointment_type": office["types"]["new"].pk,
            "earliest_date": "2030-02-01",
            "latest_date": "2030-01-01",
            "preferred_time": "any",
        },
    )

    assert got.status_code == 422
    assert "The latest date cannot be before the earliest date." in text(got)


def test_the_waitlist_costs_the_same_queries_for_more_rows(
    desk, freed, waiting, book, front_desk, clinic_day, django_assert_max_num_queries
):
    desk.get(reverse("waitlist"))
    with django_assert_max_num_queries(40) as first:
        desk.get(reverse("waitlist"))
    for start in ("10:30", "11:00", "13:30"):
        appointment = book(at(clinic_day, start))
        cancel_appointment(actor=front_desk, appointment=appointment, reason="moved")

    with django_assert_max_num_queries(len(first.captured_queries)):
        got = desk.get(reverse("waitlist"))
    assert text(got).count('class="card freed-slot"') == 4
