"""The day view, the week view and the printable day sheet: what the front desk sees, who may
see it, what the access log records, and that a busy day costs no more queries than a quiet one."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from medoffice.core.models import Location
from medoffice.scheduling.models import Appointment, ScheduleException
from medoffice.scheduling.services import cancel_appointment, record_flow_step
from tests.scheduling.conftest import at
from tests.scheduling.schedule_pages import (
    hx_target,
    log_rows,
    open_every_day,
    page_text,
    stop_clock,
    today_in_chicago,
    walk,
)

DAY_URL = "/schedule/"


@pytest.fixture
def today(monkeypatch):
    day = today_in_chicago()
    stop_clock(monkeypatch, day)
    return day


@pytest.fixture
def office(location, provider, rooms, types, make_template):
    """Dr. Patel at Main every day 8:00–12:00 and 13:00–17:00 (all visit types)."""
    open_every_day(make_template, provider, location, start="08:00", end="12:00")
    open_every_day(make_template, provider, location, start="13:00", end="17:00")
    return {"location": location, "provider": provider, "rooms": rooms, "types": types}


@pytest.fixture
def book(office, make_patient_record, front_desk):
    from medoffice.scheduling.services import book_appointment

    def make(start, *, patient=None, **changes):
        values = {
            "actor": front_desk,
            "patient": patient or make_patient_record(),
            "provider": office["provider"],
            "location": office["location"],
            "appointment_type": office["types"]["follow_up"],
            "start": start,
        }
        values.update(changes)
        return book_appointment(**values)

    return make


def test_the_front_desk_sees_the_day_with_visits_in_their_provider_column(
    client_as, today, book, make_patient_record, office
):
    lee = make_patient_record(first_name="Min", last_name="Lee")
    book(at(today, "9:30"), patient=lee)
    client = client_as("front_desk", home_location=office["location"])

    response = client.get(DAY_URL)

    assert response.status_code == 200
    text = page_text(response)
    assert today.strftime("%B") in text
    assert "Dr. Patel" in text and "8:00–12:00, 13:00–17:00" in text
    assert "Lee, M." in text and "FU" in text and "9:30–9:50" in text
    assert "Scheduled" in text
    assert "1 booked" in text
    # the time rows run from 8:00 to 17:00 in 15-minute steps
    assert ">8:00<" in response.content.decode() and ">16:45<" not in text
    # an empty slot inside the block links to the booking form for that time
    html = response.content.decode()
    assert 'time=10:15"' in html and "provider=" in html
    assert 'title="Book Dr. Patel at 10:15"' in html
    # outside the blocks (12:00–13:00) nothing is offered as open
    assert re.search(r'class="dg-slot closed[^"]*" href="[^"]*time=12:00"', html)


def test_the_grid_places_a_visit_by_start_and_length(client_as, today, book, office):
    book(at(today, "9:30"), appointment_type=office["types"]["new"])  # 40 minutes
    client = client_as("front_desk", home_location=office["location"])

    html = client.get(DAY_URL).content.decode()

    # 8:00 is row 0; 9:30 is 6 rows of 15 minutes down; 40 minutes span 2.667 rows
    assert "--top:6.000;--span:2.667;--lane:0;--lanes:1" in html


def test_overbooked_visits_sit_side_by_side(client_as, today, book, office):
    office["provider"].accepts_overbook = True
    office["provider"].save()
    book(at(today, "9:30"))
    book(at(today, "9:30"), overbook_reason="urgent, squeezed in")
    client = client_as("front_desk", home_location=office["location"])

    html = client.get(DAY_URL).content.decode()

    assert "--lane:0;--lanes:2" in html and "--lane:1;--lanes:2" in html


def test_cancelled_visits_and_no_shows_are_hidden_until_asked_for(
    client_as, today, book, office, front_desk, make_patient_record
):
    gone = book(at(today, "9:00"), patient=make_patient_record(last_name="Gone"))
    cancel_appointment(actor=front_desk, appointment=gone, reason="patient called")
    missed = book(at(today, "8:00"), patient=make_patient_record(last_name="Missed"))
    record_flow_step(actor=front_desk, appointment=missed, step="no_show", at=at(today, "8:20"))
    client = client_as("front_desk", home_location=office["location"])

    quiet = page_text(client.get(DAY_URL))
    everything = page_text(client.get(DAY_URL + "?show=1"))

    assert "Gone" not in quiet and "Missed" not in quiet
    assert "1 no-show hidden" in quiet
    assert "Gone, M." in everything and "Cancelled" in everything
    assert "Missed, M." in everything and "No-show" in everything


def test_a_patient_in_the_office_shows_how_long_they_have_waited(
    client_as, today, book, office, front_desk
):
    appt = book(at(today, "10:00"))
    walk(appt, [("arrived", "10:12")], front_desk, today)  # the clock says 10:30
    client = client_as("front_desk", home_location=office["location"])

    html = client.get(DAY_URL).content.decode()
    text = page_text(client.get(DAY_URL))

    assert "Arrived · 18 min" in text
    assert "wait-warn" in html  # over 15 minutes
    assert 'data-since="' in html


def test_blocked_time_is_shaded_with_its_reason_and_cannot_be_booked(
    client_as, today, office, front_desk
):
    ScheduleException.objects.create(
        provider=office["provider"],
        location=office["location"],
        start=at(today, "14:00"),
        end=at(today, "15:00"),
        kind=ScheduleException.MEETING,
        reason="Staff meeting",
    )
    client = client_as("front_desk", home_location=office["location"])

    response = client.get(DAY_URL)
    html = response.content.decode()

    assert "Meeting: Staff meeting" in page_text(response)
    assert "time=14:15" not in html and "time=15:00" in html
    assert 'class="dg-slot blocked"' in html


def test_the_room_view_has_a_column_per_room(client_as, today, book, office):
    book(at(today, "9:30"), room=office["rooms"]["exam2"])
    client = client_as("front_desk", home_location=office["location"])

    text = page_text(client.get(DAY_URL + "?by=room"))

    assert "Exam 1" in text and "Exam 2" in text and "Procedure" in text
    assert "Exam room" in text
    assert "Lee" not in text  # the default patient is Lopez
    assert "Lopez, M." in text and "Dr. Patel" in text


def test_a_visit_at_another_location_stays_off_this_day(
    client_as, today, book, office, practice, make_template
):
    north = Location.objects.create(
        practice=practice,
        name="North",
        address1="1 North St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
        time_zone="America/Chicago",
    )
    office["provider"].locations.add(north)
    open_every_day(make_template, office["provider"], north, start="18:00", end="20:00")
    book(at(today, "18:00"), location=north, appointment_type=office["types"]["phone"])
    client = client_as("front_desk", home_location=office["location"])

    main = page_text(client.get(DAY_URL))
    other = page_text(client.get(f"{DAY_URL}?location={north.pk}"))

    assert "Lopez" not in main
    assert "Lopez, M." in other and "North" in other


def test_the_days_around_are_one_click_away(client_as, today, office):
    client = client_as("front_desk", home_location=office["location"])
    html = client.get(DAY_URL).content.decode()

    assert f"date={today - dt.timedelta(days=1)}" in html
    assert f"date={today + dt.timedelta(days=1)}" in html
    other = client.get(f"{DAY_URL}?date={today + dt.timedelta(days=3)}")
    assert (today + dt.timedelta(days=3)).strftime("%B %-d, %Y") in page_text(other)


@pytest.mark.parametrize(
    "query",
    [
        "?date=2026-13-45",
        "?date=0001-01-01",
        "?location=abc&step=7&by=sideways",
        "?location=99999999999999999999999",
        "?date=9999-12-31",
    ],
)
def test_unreadable_filters_fall_back_to_today_instead_of_failing(client_as, today, office, query):
    client = client_as("front_desk", home_location=office["location"])
    response = client.get(DAY_URL + query)
    assert response.status_code == 200
    assert today.strftime("%B") in page_text(response)


def test_the_day_view_is_in_the_access_log_as_a_list_of_patients(client_as, today, book, office):
    book(at(today, "9:30"))
    client = client_as("front_desk", home_location=office["location"])

    client.get(DAY_URL)

    (row,) = log_rows(object_type="schedule day")
    assert row.user == client.user and row.patient_id is None
    assert row.object_id == f"{office['location'].pk}:{today.isoformat()}"
    assert "1 visits" in row.detail


def test_a_busy_day_costs_the_same_number_of_queries_as_a_quiet_one(
    client_as,
    today,
    book,
    office,
    make_provider,
    make_template,
    make_patient_record,
    django_assert_num_queries,
):
    client = client_as("front_desk", home_location=office["location"])
    book(at(today, "8:00"))
    client.get(DAY_URL)  # warm caches (content types, the first session write)

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as quiet:
        assert client.get(DAY_URL).status_code == 200

    others = [make_provider(first_name=f"P{n}", last_name=f"Other{n}") for n in range(3)]
    for other in others:
        open_every_day(make_template, other, office["location"])
    for n in range(30):
        who = [office["provider"], *others][n % 4]
        start = at(today, "8:00") + dt.timedelta(minutes=20 * (n // 4 + 1))
        book(start, provider=who, appointment_type=office["types"]["phone"])

    with django_assert_num_queries(len(quiet.captured_queries)):
        response = client.get(DAY_URL)
    assert page_text(response).count("PH") >= 30


def test_the_day_view_stays_within_its_query_budget(
    client_as, today, book, office, django_assert_max_num_queries
):
    for n in range(12):
        book(
            at(today, "8:00") + dt.timedelta(minutes=20 * n),
            appointment_type=office["types"]["phone"],
        )
    client = client_as("front_desk", home_location=office["location"])
    client.get(DAY_URL)
    # The shell: session read and save, user, home location, permissions (2), roles (twice:
    # the page's buttons and the navigation). The day: locations, providers, blocks, blocked
    # time, appointments. The access-log row: savepoint, head, insert, head update, release.
    with django_assert_max_num_queries(20):
        client.get(DAY_URL)


@pytest.mark.parametrize("role", ["biller", "provider", "medical_assistant"])
def test_roles_that_do_not_book_read_the_day_without_booking_links(
    client_as, today, book, office, role
):
    book(at(today, "9:30"))
    client = client_as(role, home_location=office["location"])

    response = client.get(DAY_URL)

    assert response.status_code == 200
    assert "Lopez, M." in page_text(response)
    assert "/schedule/book/" not in response.content.decode()


def test_the_auditor_cannot_see_the_schedule(client_as, today, office):
    client = client_as("auditor")
    for url in (DAY_URL, "/schedule/week/", "/schedule/day-sheet/"):
        assert client.get(url).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client, today, office):
    response = client.get(DAY_URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_grid_refresh_answers_htmx_with_the_grid_alone(client_as, today, book, office):
    book(at(today, "9:30"))
    client = client_as("front_desk", home_location=office["location"])

    response = client.get(DAY_URL, **hx_target("day-grid"))

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="day-grid"')
    assert "<html" not in html and "Lopez, M." in html


# --- week --------------------------------------------------------------------------


def test_the_week_shows_each_providers_days_with_their_first_visits(
    client_as, today, book, office, make_patient_record
):
    monday = today - dt.timedelta(days=today.weekday())
    for n in range(8):
        book(
            at(today, "8:00") + dt.timedelta(minutes=20 * n),
            patient=make_patient_record(last_name=f"Pat{n}"),
        )
    client = client_as("front_desk", home_location=office["location"])

    response = client.get("/schedule/week/")

    text = page_text(response)
    assert response.status_code == 200
    assert f"Week of {monday.strftime('%B')} {monday.day}" in text
    assert "8 booked" in text and "Pat0, M." in text and "+2 more" in text
    assert "8:00–12:00, 13:00–17:00" in text
    html = response.content.decode()
    assert f"date={today.isoformat()}" in html
    (row,) = log_rows(object_type="schedule week")
    assert row.patient_id is None


# --- day sheet ---------------------------------------------------------------------


def test_the_day_sheet_lists_each_providers_patients_with_phones_and_notes(
    client_as, today, book, office, make_patient_record
):
    lee = make_patient_record(first_name="Min", last_name="Lee", phone_mobile="2175550123")
    kim = make_patient_record(first_name="Ann", last_name="Kim", phone_home="2175550199")
    a = book(at(today, "9:30"), patient=lee, notes="needs an interpreter")
    b = book(at(today, "10:00"), patient=kim)
    client = client_as("front_desk", home_location=office["location"])

    response = client.get("/schedule/day-sheet/")

    text = page_text(response)
    assert "Dr. Patel" in text and "2 visits" in text
    assert "Lee, Min" in text and "(217) 555-0123" in text and "needs an interpreter" in text
    assert "Kim, Ann" in text and "(217) 555-0199" in text
    assert "@media print" not in text
    printed = log_rows(action="print")
    assert {(r.patient_id, r.object_id) for r in printed} == {
        (lee.pk, str(a.pk)),
        (kim.pk, str(b.pk)),
    }
    assert all(r.object_type == "day sheet" for r in printed)


def test_a_location_less_practice_says_what_to_do(client_as, db):
    client = client_as("front_desk")
    response = client.get(DAY_URL)
    assert "There is no active location yet" in page_text(response)


def test_only_visits_that_started_today_are_on_the_day(client_as, today, book, office):
    book(at(today + dt.timedelta(days=1), "9:30"))
    client = client_as("front_desk", home_location=office["location"])
    assert "Lopez" not in page_text(client.get(DAY_URL))
    assert Appointment.objects.count() == 1
