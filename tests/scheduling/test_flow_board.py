"""The flow board: today's patients by step with the time in their current step, the buttons
that move them on, the API behind it, and the home-page panels that point to it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from medoffice.core.models import AccessLogEntry
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

BOARD = "/flow-board/"


@pytest.fixture
def today(monkeypatch, today_chicago):
    stop_clock(monkeypatch, today_chicago)  # 10:30 in Chicago
    return today_chicago


@pytest.fixture
def office(location, provider, rooms, types, make_template, today):
    open_every_day(make_template, provider, location, start="08:00", end="17:00")
    return {"location": location, "provider": provider, "rooms": rooms, "types": types}


@pytest.fixture
def day_of(office, make_patient_record, front_desk, today):
    """Five patients at Main today, one in each column of the board."""

    def book(last, hhmm, **kw):
        return book_appointment(
            actor=front_desk,
            patient=make_patient_record(last_name=last),
            provider=office["provider"],
            location=office["location"],
            appointment_type=kw.pop("kind", office["types"]["follow_up"]),
            start=at(today, hhmm),
            **kw,
        )

    exam2 = office["rooms"]["exam2"]
    visits = {
        "expected": book("Early", "10:20"),
        "waiting": walk(book("Waits", "10:00"), [("arrived", "9:55")], front_desk, today),
        "roomed": walk(
            book("Roomed", "9:40", kind=office["types"]["phone"]),
            [("arrived", "9:35"), ("roomed", "10:10")],
            front_desk,
            today,
            room=exam2,
        ),
        "with": walk(
            book("Seen", "9:20"),
            [("arrived", "9:10"), ("roomed", "9:16"), ("with_provider", "10:25")],
            front_desk,
            today,
        ),
        "done": walk(
            book("Done", "8:00"),
            [
                ("arrived", "7:58"),
                ("roomed", "8:09"),
                ("with_provider", "8:15"),
                ("checked_out", "8:41"),
            ],
            front_desk,
            today,
        ),
    }
    return visits


@pytest.fixture
def assistant(make_user, office, today):
    client = Client()
    client.user = make_user("medical_assistant", home_location=office["location"])
    client.force_login(client.user)
    return client


def column(html: str, key: str) -> str:
    start = html.index(f'class="board-col col-{key}"')
    end = html.find('class="board-col', start + 10)
    return html[start : end if end != -1 else None]


def test_the_board_shows_each_patient_in_their_step_with_the_time_spent_in_it(
    client_as, office, day_of
):
    client = client_as("medical_assistant", home_location=office["location"])

    response = client.get(BOARD)

    assert response.status_code == 200
    html = response.content.decode()
    expected = column(html, "expected")
    assert "Early, M." in expected and "10 min past the time" in expected
    waiting = column(html, "arrived")
    assert "Waits, M." in waiting and "35 min" in waiting and "since 9:55" in waiting
    assert "wait-bad" in waiting  # over 30 minutes
    roomed = column(html, "roomed")
    assert "Roomed, M." in roomed and "20 min" in roomed and "wait-warn" in roomed
    assert "Exam 2" in roomed
    with_provider = column(html, "with_provider")
    assert "Seen, M." in with_provider and "5 min" in with_provider
    done = column(html, "checked_out")
    assert "Done, M." in done
    text = page_text(response)
    assert "Waiting room 11 min" in text and "Roomed 6 min" in text
    assert "With provider 26 min" in text and "Total 43 min" in text
    assert "1 waiting now" in text and "Longest wait 35 min" in text


def test_the_next_step_buttons_follow_the_flow(client_as, office, day_of):
    html = client_as("front_desk", home_location=office["location"]).get(BOARD).content.decode()
    assert ">Check in<" in column(html, "expected")
    assert ">Room<" in column(html, "arrived") and 'name="room"' in column(html, "arrived")
    assert ">With provider<" in column(html, "roomed")
    assert ">Check out<" in column(html, "with_provider")
    assert "<form" not in column(html, "checked_out")


def test_rooming_from_the_board_moves_the_card_and_keeps_the_room(
    assistant, office, day_of, make_provider, make_template, other_patient, today
):
    waiting = day_of["waiting"]  # 10:00–10:20
    exam2_busy = office["rooms"]["exam2"]
    exam1 = office["rooms"]["exam1"]
    colleague = make_provider(first_name="Omar", last_name="Khan")
    open_every_day(make_template, colleague, office["location"])
    book_appointment(
        actor=None,
        patient=other_patient,
        provider=colleague,
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=at(today, "10:10"),
        room=exam2_busy,
    )

    refused = assistant.post(
        f"/flow-board/{waiting.pk}/step/", {"step": "roomed", "room": exam2_busy.pk}, **HX
    )
    done = assistant.post(
        f"/flow-board/{waiting.pk}/step/", {"step": "roomed", "room": exam1.pk}, **HX
    )

    assert refused.status_code == 409
    assert "Exam 2 is taken by Lee, M." in page_text(refused)
    assert done.status_code == 200
    html = done.content.decode()
    assert html.lstrip().startswith('<div id="board"')
    assert "Waits, M.: roomed in Exam 1." in page_text(done)
    assert "Waits, M." in column(html, "roomed")
    waiting.refresh_from_db()
    assert waiting.status == "roomed" and waiting.room == exam1
    assert waiting.roomed_by == assistant.user
    (row,) = log_rows(action="update", object_type="appointment")
    assert row.patient_id == waiting.patient_id and row.detail == "flow board: roomed"


def test_a_step_the_flow_does_not_allow_is_explained(assistant, day_of):
    done = day_of["done"]
    response = assistant.post(f"/flow-board/{done.pk}/step/", {"step": "roomed"}, **HX)
    assert response.status_code == 409
    assert "the visit is closed" in page_text(response)


def test_bad_step_input_is_422_not_500(assistant, day_of):
    appt = day_of["waiting"]
    for data in ({}, {"step": "flying"}, {"step": "roomed", "room": "abc"}):
        response = assistant.post(f"/flow-board/{appt.pk}/step/", data, **HX)
        assert response.status_code == 422
        assert "Choose a step" in page_text(response)
    assert assistant.post("/flow-board/987654/step/", {"step": "arrived"}).status_code == 404


def test_the_refresh_answers_with_the_columns_alone_and_is_not_logged_again(
    client_as, office, day_of
):
    client = client_as("front_desk", home_location=office["location"])
    client.get(BOARD)
    before = AccessLogEntry.objects.count()

    fragment = client.get(f"/flow-board/cards/?location={office['location'].pk}", **HX)

    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="board"') and "<html" not in html
    assert 'hx-trigger="every 15s' in html
    assert AccessLogEntry.objects.count() == before
    (row,) = log_rows(object_type="flow board")
    assert row.patient_id is None and "5 visits" in row.detail


def test_the_board_costs_the_same_queries_for_five_patients_as_for_one(
    client_as, office, day_of, make_patient_record, front_desk, today, django_assert_num_queries
):
    client = client_as("front_desk", home_location=office["location"])
    client.get(BOARD)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as busy:
        client.get(BOARD)
    for n in range(10):
        book_appointment(
            actor=front_desk,
            patient=make_patient_record(last_name=f"More{n}"),
            provider=office["provider"],
            location=office["location"],
            appointment_type=office["types"]["phone"],
            start=at(today, "13:00") + dt.timedelta(minutes=15 * n),
        )
    with django_assert_num_queries(len(busy.captured_queries)):
        client.get(BOARD)


def test_readers_see_the_board_without_buttons(client_as, office, day_of):
    client = client_as("provider", home_location=office["location"])
    response = client.get(BOARD)
    assert response.status_code == 200 and "Waits, M." in page_text(response)
    assert "/flow-board/" + str(day_of["waiting"].pk) + "/step/" not in response.content.decode()
    step = client.post(f"/flow-board/{day_of['waiting'].pk}/step/", {"step": "roomed"})
    assert step.status_code == 403


def test_the_auditor_cannot_see_the_board(client_as, office):
    client = client_as("auditor")
    assert client.get(BOARD).status_code == 403
    assert client.get("/flow-board/cards/").status_code == 403


def test_another_day_is_shown_read_only(client_as, office, day_of, today):
    client = client_as("front_desk", home_location=office["location"])
    html = client.get(f"{BOARD}?date={today - dt.timedelta(days=1)}").content.decode()
    assert "Waits" not in html and "every 15s" not in html and "No one" in html


# --- API ----------------------------------------------------------------------------


def test_the_api_gives_todays_board_with_minutes_in_step(client_as, office, day_of):
    client = client_as("front_desk", home_location=office["location"])

    response = client.get("/api/v1/flow-board")

    assert response.status_code == 200
    body = response.json()
    assert body["location"] == office["location"].pk and body["waiting"] == 1
    assert body["longest_wait_minutes"] == 35
    by_name = {a["patient_name"]: a for a in body["appointments"]}
    assert by_name["Waits, M."]["column"] == "arrived"
    assert by_name["Waits, M."]["minutes_in_step"] == 35
    assert by_name["Waits, M."]["status_since"].endswith("-06:00") or by_name["Waits, M."][
        "status_since"
    ].endswith("-05:00")
    assert by_name["Done, M."]["visit_minutes"] == 43
    assert by_name["Early, M."]["minutes_in_step"] is None
    (row,) = log_rows(object_type="flow board")
    assert row.detail.startswith("API flow board")


@pytest.mark.parametrize(
    "query",
    [
        "?location=abc",
        "?location=0",
        "?location=99999999999999999999999",
        "?date=2026-13-01",
        "?date=1900-01-01",
        "?date=9999-12-31",
        "?location=424242",
    ],
)
def test_bad_api_input_is_a_422_naming_the_field(client_as, office, query):
    client = client_as("front_desk", home_location=office["location"])
    response = client.get("/api/v1/flow-board" + query)
    assert response.status_code == 422
    body = response.json()
    assert body["field"] in ("location", "date") and body["detail"]


def test_the_api_refuses_roles_without_the_schedule(client_as, office):
    response = client_as("auditor").get("/api/v1/flow-board")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_the_api_needs_a_signed_in_caller(client, office):
    assert client.get("/api/v1/flow-board").status_code == 401


# --- home page ------------------------------------------------------------------------


def test_the_front_desk_home_page_counts_todays_work(client_as, office, day_of):
    client = client_as("front_desk", home_location=office["location"])

    text = page_text(client.get("/"))

    assert "Today at Main" in text and "5 visits booked" in text
    assert "1 still to come not yet confirmed" in text
    assert "1 patient in the waiting room" in text and "Longest wait: 35 min" in text
    assert "3 in the office in all" in text
    html = client.get("/").content.decode()
    assert f"/schedule/?location={office['location'].pk}" in html
    assert f"/flow-board/?location={office['location'].pk}" in html


def test_other_roles_get_no_schedule_panels(client_as, office, day_of):
    text = page_text(client_as("biller", home_location=office["location"]).get("/"))
    assert "Waiting now" not in text and "Today at Main" not in text
