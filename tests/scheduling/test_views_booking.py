"""Booking from an empty slot, and the appointment panel with its actions: every change goes
through the services, a refusal shows the service's words with its 409/422 status, and
opening or changing a visit is in the access log with the patient's id."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from medoffice.core.models import AccessLogEntry
from medoffice.scheduling.models import Appointment
from medoffice.scheduling.services import book_appointment
from tests.scheduling.conftest import at
from tests.scheduling.schedule_pages import (
    HX,
    log_rows,
    open_every_day,
    page_text,
    stop_clock,
    walk,
)

BOOK_URL = "/schedule/book/"


@pytest.fixture
def today(monkeypatch, today_chicago):
    stop_clock(monkeypatch, today_chicago)
    return today_chicago


@pytest.fixture
def office(location, provider, rooms, types, make_template):
    open_every_day(make_template, provider, location, start="08:00", end="12:00")
    # afternoons take follow-ups and phone calls only
    open_every_day(
        make_template,
        provider,
        location,
        start="13:00",
        end="17:00",
        allowed=[types["follow_up"], types["phone"]],
    )
    return {"location": location, "provider": provider, "rooms": rooms, "types": types}


@pytest.fixture
def desk(client_as, office, today):
    return client_as("front_desk", home_location=office["location"])


@pytest.fixture
def visit(office, patient, front_desk, today):
    return book_appointment(
        actor=front_desk,
        patient=patient,
        provider=office["provider"],
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=at(today, "10:00"),
    )


def booking(office, who, day, hhmm="9:30", **changes) -> dict:
    data = {
        "location": office["location"].pk,
        "patient": who.pk,
        "provider": office["provider"].pk,
        "appointment_type": office["types"]["follow_up"].pk,
        "date": day.isoformat(),
        "time": hhmm,
        "notes": "",
    }
    data.update(changes)
    return data


# --- the booking form ----------------------------------------------------------------


def test_an_empty_slot_opens_the_form_with_the_visit_types_its_block_takes(desk, office, today):
    query = f"?location={office['location'].pk}&provider={office['provider'].pk}"

    morning = desk.get(f"{BOOK_URL}{query}&date={today}&time=9:30", **HX)
    afternoon = desk.get(f"{BOOK_URL}{query}&date={today}&time=14:00", **HX)

    assert morning.status_code == 200
    html = morning.content.decode()
    assert "Book a visit" in html and 'value="09:30"' in html
    assert "in the 8:00–12:00 block" in html
    assert "New patient" in html and "Minor procedure" in html
    noon = afternoon.content.decode()
    assert "Follow-up" in noon and "Phone call" in noon and "New patient" not in noon


def test_a_slot_outside_the_hours_offers_the_override(desk, office, today):
    query = f"?location={office['location'].pk}&provider={office['provider'].pk}"
    html = desk.get(f"{BOOK_URL}{query}&date={today}&time=12:15", **HX).content.decode()
    assert "outside Dr. Patel's hours" in html
    assert re.search(r'name="allow_outside_template"[^>]*checked', html)


def test_booking_puts_the_visit_on_the_schedule_and_logs_it(desk, office, patient, today):
    response = desk.post(BOOK_URL, booking(office, patient, today, notes="interpreter"), **HX)

    assert response.status_code == 200
    appt = Appointment.objects.get()
    assert appt.start == at(today, "9:30") and appt.notes == "interpreter"
    assert appt.booked_by == desk.user
    assert response["HX-Trigger"] == "scheduleChanged"
    text = page_text(response)
    assert "Booked Lopez, M. with Dr. Patel" in text and "9:30–9:50" in text
    (row,) = log_rows(action="create", object_type="appointment")
    assert row.patient_id == patient.pk and row.object_id == str(appt.pk)


def test_booking_without_javascript_lands_on_the_appointment_page(desk, office, patient, today):
    response = desk.post(BOOK_URL, booking(office, patient, today))
    appt = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/schedule/appointments/{appt.pk}/"
    page = desk.get(response["Location"])
    assert "Booked Lopez, M." in page_text(page)


def test_a_taken_slot_is_refused_with_409_naming_who_has_it(
    desk, office, patient, other_patient, today
):
    desk.post(BOOK_URL, booking(office, other_patient, today), **HX)

    response = desk.post(BOOK_URL, booking(office, patient, today, hhmm="9:40"), **HX)

    assert response.status_code == 409
    text = page_text(response)
    assert "Dr. Patel already has Lee, M. at 9:30–9:50 (Main)" in text
    assert "Start:" in text  # on the time field
    assert Appointment.objects.count() == 1
    # the chosen patient stays chosen for another try
    assert re.search(rf'value="{patient.pk}" checked', response.content.decode())


def test_a_repeating_visit_books_every_occurrence_from_the_form(desk, office, patient, today):
    data = booking(office, patient, today, repeat_weeks="2", repeat_count="4")

    response = desk.post(BOOK_URL, data, **HX)

    assert response.status_code == 200
    visits = list(Appointment.objects.order_by("start"))
    assert [v.start for v in visits] == [
        at(today + dt.timedelta(weeks=2 * n), "9:30") for n in range(4)
    ]
    assert len({v.series_id for v in visits}) == 1 and visits[0].series_id is not None
    assert "and 3 more visits through" in page_text(response)
    assert len(log_rows(action="create", object_type="appointment")) == 4


def test_a_series_with_a_taken_date_books_nothing_and_names_the_date(
    desk, office, patient, other_patient, today
):
    taken_day = today + dt.timedelta(weeks=1)
    desk.post(BOOK_URL, booking(office, other_patient, taken_day), **HX)

    response = desk.post(
        BOOK_URL,
        booking(
            office,
            patient,
            today,
            repeat_weeks="1",
            repeat_until=str(today + dt.timedelta(weeks=3)),
        ),
        **HX,
    )

    assert response.status_code == 409
    text = page_text(response)
    assert "Nothing was booked: 1 of the 4 visits cannot be booked" in text
    assert f"{taken_day:%a} {taken_day.day} {taken_day:%b}" in text
    assert Appointment.objects.filter(patient=patient).count() == 0


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"repeat_weeks": "1"}, "Number of visits", "Give the number of visits or the last date."),
        (
            {"repeat_weeks": "1", "repeat_count": "3", "repeat_until": "2099-01-01"},
            "Last date",
            "not both",
        ),
        ({"repeat_weeks": "1", "repeat_count": "99"}, "Number of visits", "less than or equal"),
        ({"repeat_weeks": "5", "repeat_count": "3"}, "Repeats", "Select a valid choice"),
        (
            {"repeat_weeks": "1", "repeat_count": "3", "overbook_reason": "urgent"},
            "Overbook reason",
            "single visits only",
        ),
    ],
)
def test_a_bad_repeat_is_named_on_its_field(desk, office, patient, today, changes, field, says):
    response = desk.post(BOOK_URL, booking(office, patient, today, **changes), **HX)

    assert response.status_code == 422
    text = page_text(response)
    assert f"{field}:" in text and says in text
    assert Appointment.objects.count() == 0


def test_a_type_the_block_does_not_take_is_refused_with_422(desk, office, patient, today):
    data = booking(office, patient, today, hhmm="14:00", appointment_type=office["types"]["new"].pk)
    response = desk.post(BOOK_URL, data, **HX)
    assert response.status_code == 422
    assert "does not take 'New patient' visits" in page_text(response)
    assert "Visit type:" in page_text(response)


def test_outside_the_hours_needs_the_override(desk, office, patient, today):
    refused = desk.post(BOOK_URL, booking(office, patient, today, hhmm="12:15"), **HX)
    assert refused.status_code == 422
    assert "does not see patients at Main" in page_text(refused)

    data = booking(office, patient, today, hhmm="12:15", allow_outside_template="on")
    booked = desk.post(BOOK_URL, data, **HX)
    assert booked.status_code == 200
    assert Appointment.objects.get().outside_template is True


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"patient": ""}, "Search for the patient and choose one from the list."),
        ({"patient": "999999999"}, "There is no such patient"),
        ({"time": "25:99"}, "Start:"),
        ({"date": "1850-01-01"}, "between 2000 and 2100"),
        ({"provider": "99999"}, "Provider:"),
        ({"appointment_type": "abc"}, "Visit type:"),
    ],
)
def test_unreadable_booking_input_is_named_field_by_field(
    desk, office, patient, today, changes, words
):
    response = desk.post(BOOK_URL, booking(office, patient, today, **changes), **HX)
    assert response.status_code == 422
    assert words in page_text(response)
    assert not Appointment.objects.exists()


def test_a_past_day_is_refused_in_the_services_words(desk, office, patient, today):
    data = booking(office, patient, today - dt.timedelta(days=1))
    response = desk.post(BOOK_URL, data, **HX)
    assert response.status_code == 422
    assert "is in the past; book today or a later day" in page_text(response)


def test_the_patient_search_offers_matches_to_choose_from(desk, office, make_patient_record, today):
    make_patient_record(first_name="Grace", last_name="Okafor")
    make_patient_record(first_name="Gina", last_name="Okafor")
    make_patient_record(first_name="Tom", last_name="Smith")

    response = desk.get("/schedule/book/patients/?q=okaf")

    text = page_text(response)
    assert "Okafor, Grace" in text and "Okafor, Gina" in text and "Smith" not in text
    assert response.content.decode().count('name="patient"') == 2
    (row,) = log_rows(object_type="patient list")
    assert row.detail == "booking search: okaf" and row.patient_id is None
    assert "No patient matches" in page_text(desk.get("/schedule/book/patients/?q=zzzzzz"))


@pytest.mark.parametrize("role", ["medical_assistant", "biller", "provider", "auditor"])
def test_only_the_front_desk_and_office_manager_book(client_as, office, patient, today, role):
    client = client_as(role, home_location=office["location"])
    assert client.get(BOOK_URL).status_code == 403
    assert client.post(BOOK_URL, booking(office, patient, today), **HX).status_code == 403
    assert not Appointment.objects.exists()


def test_the_office_manager_books_too(client_as, office, patient, today):
    client = client_as("office_manager", home_location=office["location"])
    assert client.post(BOOK_URL, booking(office, patient, today), **HX).status_code == 200


# --- the appointment panel ------------------------------------------------------------


def test_opening_a_visit_shows_the_patient_and_history_and_logs_the_patient(desk, visit, patient):
    response = desk.get(f"/schedule/appointments/{visit.pk}/", **HX)

    text = page_text(response)
    assert "Lopez, Maria" in text and patient.mrn in text and "May 17, 1980" in text
    assert "10:00–10:20" in text and "Follow-up (FU)" in text and "Exam 1" in text
    assert "Booked" in text and "by Test User" in text
    assert "Confirm" in text and "Check in" in text and "Cancel the visit" in text
    (row,) = log_rows(object_type="appointment", action="view")
    assert row.patient_id == patient.pk and row.user == desk.user


def test_the_visit_page_without_htmx_is_a_whole_page(desk, visit):
    response = desk.get(f"/schedule/appointments/{visit.pk}/")
    assert "<html" in response.content.decode() and "Back to the day" in page_text(response)


def test_an_unknown_appointment_is_404(desk, office):
    assert desk.get("/schedule/appointments/987654/").status_code == 404
    assert desk.post("/schedule/appointments/987654/step/", {"step": "arrived"}).status_code == 404


def test_the_whole_visit_from_the_panel(make_user, desk, visit, office, today):
    assistant = Client()
    assistant.user = make_user("medical_assistant", home_location=office["location"])
    assistant.force_login(assistant.user)
    url = f"/schedule/appointments/{visit.pk}/"

    confirmed = desk.post(url + "confirm/", **HX)
    arrived = desk.post(url + "step/", {"step": "arrived"}, **HX)
    roomed = assistant.post(
        url + "step/", {"step": "roomed", "room": office["rooms"]["exam2"].pk}, **HX
    )
    with_provider = assistant.post(url + "step/", {"step": "with_provider"}, **HX)
    done = desk.post(url + "step/", {"step": "checked_out"}, **HX)

    assert [r.status_code for r in (confirmed, arrived, roomed, with_provider, done)] == [200] * 5
    assert "Confirmed." in page_text(confirmed)
    assert "Checked in." in page_text(arrived) and "0 min" in page_text(arrived)
    assert "Roomed in Exam 2." in page_text(roomed)
    assert "Checked out." in page_text(done)
    assert done["HX-Trigger"] == "scheduleChanged"
    visit.refresh_from_db()
    assert visit.status == "checked_out" and visit.room == office["rooms"]["exam2"]
    assert visit.roomed_by == assistant.user
    kinds = list(visit.events.values_list("kind", flat=True))
    assert kinds == ["booked", "confirmed", "arrived", "roomed", "with_provider", "checked_out"]
    assert AccessLogEntry.objects.filter(action="update", patient_id=visit.patient_id).count() == 5


def test_a_step_out_of_order_shows_the_services_message_with_409(desk, visit):
    response = desk.post(f"/schedule/appointments/{visit.pk}/step/", {"step": "checked_out"}, **HX)
    assert response.status_code == 409
    assert "Cannot record 'checked_out': Lopez, M. is scheduled" in page_text(response)


def test_a_made_up_step_is_422(desk, visit):
    response = desk.post(f"/schedule/appointments/{visit.pk}/step/", {"step": "teleported"}, **HX)
    assert response.status_code == 422
    assert "That step cannot be recorded" in page_text(response)


def test_a_room_taken_by_another_patient_is_refused(
    desk, visit, office, other_patient, front_desk, today, make_provider, make_template
):
    colleague = make_provider(first_name="Omar", last_name="Khan")
    open_every_day(make_template, colleague, office["location"])
    other = book_appointment(
        actor=front_desk,
        patient=other_patient,
        provider=colleague,
        location=office["location"],
        appointment_type=office["types"]["phone"],
        start=at(today, "10:05"),
        room=office["rooms"]["exam2"],
    )
    assert other.room == office["rooms"]["exam2"]
    walk(visit, [("arrived", "9:50")], front_desk, today)
    response = desk.post(
        f"/schedule/appointments/{visit.pk}/step/",
        {"step": "roomed", "room": office["rooms"]["exam2"].pk},
        **HX,
    )
    assert response.status_code == 409
    assert "Exam 2 is taken by Lee, M." in page_text(response)


def test_cancelling_needs_a_reason(desk, visit):
    url = f"/schedule/appointments/{visit.pk}/cancel/"
    refused = desk.post(url, {"reason": "  "}, **HX)
    assert refused.status_code == 422
    assert "Say why the appointment is cancelled." in page_text(refused)

    done = desk.post(url, {"reason": "patient called"}, **HX)
    assert done.status_code == 200 and "Cancelled." in page_text(done)
    visit.refresh_from_db()
    assert visit.status == "cancelled" and visit.cancel_reason == "patient called"


def test_rescheduling_moves_the_visit_and_opens_the_new_one(desk, visit, office, today):
    tomorrow = today + dt.timedelta(days=1)
    response = desk.post(
        f"/schedule/appointments/{visit.pk}/reschedule/",
        {
            "date": tomorrow.isoformat(),
            "time": "13:30",
            "provider": office["provider"].pk,
            "reason": "patient asked",
        },
        **HX,
    )
    assert response.status_code == 200
    new = Appointment.objects.get(rescheduled_from=visit)
    assert new.start == at(tomorrow, "13:30")
    assert "Moved to" in page_text(response) and "13:30–13:50" in page_text(response)
    visit.refresh_from_db()
    assert visit.status == "cancelled"


def test_rescheduling_into_a_taken_slot_says_so(desk, visit, office, other_patient, today):
    book_appointment(
        actor=None,
        patient=other_patient,
        provider=office["provider"],
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=at(today, "11:00"),
    )
    response = desk.post(
        f"/schedule/appointments/{visit.pk}/reschedule/",
        {"date": today.isoformat(), "time": "11:10", "provider": office["provider"].pk},
        **HX,
    )
    assert response.status_code == 409
    assert "Dr. Patel already has Lee, M. at 11:00–11:20" in page_text(response)
    visit.refresh_from_db()
    assert visit.status == "scheduled"


def test_the_medical_assistant_moves_patients_but_does_not_cancel(client_as, visit, office):
    assistant = client_as("medical_assistant", home_location=office["location"])
    panel = page_text(assistant.get(f"/schedule/appointments/{visit.pk}/", **HX))
    assert "Check in" in panel and "Cancel the visit" not in panel and "Confirm" not in panel
    url = f"/schedule/appointments/{visit.pk}/"
    assert assistant.post(url + "cancel/", {"reason": "x"}, **HX).status_code == 403
    assert assistant.post(url + "confirm/", **HX).status_code == 403
    assert assistant.post(url + "step/", {"step": "arrived"}, **HX).status_code == 200


@pytest.mark.parametrize("role", ["biller", "provider"])
def test_readers_see_the_visit_without_any_action(client_as, visit, office, role):
    client = client_as(role, home_location=office["location"])
    response = client.get(f"/schedule/appointments/{visit.pk}/", **HX)
    assert response.status_code == 200
    text = page_text(response)
    assert "Lopez, Maria" in text
    assert "Check in" not in text and "Cancel the visit" not in text
    step = client.post(f"/schedule/appointments/{visit.pk}/step/", {"step": "arrived"}, **HX)
    assert step.status_code == 403


def test_the_auditor_cannot_open_a_visit(client_as, visit):
    assert client_as("auditor").get(f"/schedule/appointments/{visit.pk}/").status_code == 403


def test_check_in_is_offered_only_on_the_day_of_the_visit(desk, office, patient, today):
    later = book_appointment(
        actor=None,
        patient=patient,
        provider=office["provider"],
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=at(today + dt.timedelta(days=2), "10:00"),
    )
    text = page_text(desk.get(f"/schedule/appointments/{later.pk}/", **HX))
    assert "Check in" not in text and "No-show" not in text and "Reschedule" in text
