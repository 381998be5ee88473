"""A provider's calendar feed: a valid iCalendar (parsed back by the icalendar package), behind a
signed URL, with nothing about a patient but initials and the visit type."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
from django.core import signing

from medoffice.core.models import AccessLogEntry
from medoffice.scheduling import ical
from medoffice.scheduling.services import book_appointment, cancel_appointment
from tests.scheduling.conftest import at
from tests.scheduling.schedule_pages import open_every_day, page_text, stop_clock

FEEDS = "/schedule/calendar-feeds/"


@pytest.fixture
def today(monkeypatch, today_chicago):
    stop_clock(monkeypatch, today_chicago)
    return today_chicago


@pytest.fixture
def office(location, provider, rooms, types, make_template, today):
    open_every_day(make_template, provider, location)
    return {"location": location, "provider": provider, "rooms": rooms, "types": types}


@pytest.fixture
def visits(office, make_patient_record, today):
    def book(first, last, day, hhmm, **kw):
        patient = make_patient_record(
            first_name=first,
            last_name=last,
            phone_mobile="2175550142",
            date_of_birth=dt.date(1961, 2, 3),
        )
        return book_appointment(
            actor=None,
            patient=patient,
            provider=office["provider"],
            location=office["location"],
            appointment_type=office["types"]["follow_up"],
            start=at(day, hhmm),
            **kw,
        )

    return {
        "soon": book("Margaret", "Okonkwo", today + dt.timedelta(days=2), "9:30", notes="deaf"),
        "today": book("Li", "Zhang", today, "14:00"),
        "cancelled": book("Carla", "Vasquez", today + dt.timedelta(days=1), "9:00"),
        "too_far": book("Ben", "Farley", today + dt.timedelta(days=120), "9:00"),
    }


def feed_url(provider) -> str:
    return f"/calendar/{ical.feed_token(provider)}.ics"


def test_the_feed_is_valid_icalendar_with_one_event_per_visit(client, office, visits, today):
    cancel_appointment(actor=None, appointment=visits["cancelled"], reason="called")

    response = client.get(feed_url(office["provider"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    cal = icalendar.Calendar.from_ical(response.content)
    assert str(cal["VERSION"]) == "2.0" and "medoffice" in str(cal["PRODID"])
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    soon, same_day = visits["soon"], visits["today"]
    assert set(events) == {
        f"appointment-{soon.pk}@testserver",
        f"appointment-{same_day.pk}@testserver",
    }
    event = events[f"appointment-{soon.pk}@testserver"]
    assert str(event["SUMMARY"]) == "M.O. · Follow-up"
    assert event.decoded("DTSTART") == soon.start
    assert event.decoded("DTEND") == soon.end
    assert event.decoded("DTSTART").utcoffset() == dt.timedelta(0)
    assert str(event["LOCATION"]) == "Main, Exam 1"
    assert "DTSTAMP" in event


def test_the_text_follows_rfc_5545(client, office, visits):
    raw = client.get(feed_url(office["provider"])).content

    assert raw.startswith(b"BEGIN:VCALENDAR\r\n") and raw.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")  # every line ends in CRLF
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))  # folded at 75 octets
    assert re.search(rb"\r\nDTSTART:\d{8}T\d{6}Z\r\n", raw)
    assert re.search(rb"\r\nDTEND:\d{8}T\d{6}Z\r\n", raw)
    assert re.search(rb"\r\nDTSTAMP:\d{8}T\d{6}Z\r\n", raw)


def test_nothing_about_the_patient_but_initials_and_visit_type(client, office, visits):
    raw = client.get(feed_url(office["provider"])).content.decode()
    unfolded = raw.replace("\r\n ", "")

    for words in ("Margaret", "Okonkwo", "Zhang", "2175550142", "1961", "deaf", "MRN"):
        assert words not in unfolded
    assert visits["soon"].patient.mrn not in unfolded
    assert "M.O. · Follow-up" in unfolded and "L.Z. · Follow-up" in unfolded


def test_a_long_summary_is_folded_and_unfolds_intact(client, office, visits):
    kind = office["types"]["follow_up"]
    kind.name = "Follow-up after a hospital stay — médication review, extended"[:60]
    kind.save()

    raw = client.get(feed_url(office["provider"])).content

    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    cal = icalendar.Calendar.from_ical(raw)
    summaries = {str(e["SUMMARY"]) for e in cal.walk("VEVENT")}
    assert f"M.O. · {kind.name}" in summaries


FORGERIES = {
    "nonsense": lambda: "nonsense",
    "forged signature": lambda: "eyJwIjoxLCJ2IjoxfQ:forged-signature",
    "another salt": lambda: signing.dumps({"p": 1, "v": 1}),
    "unknown provider": lambda: signing.Signer(salt=ical.SALT).sign_object({"p": 987654, "v": 1}),
    "id as text": lambda: signing.Signer(salt=ical.SALT).sign_object({"p": "1", "v": 1}),
    "not a mapping": lambda: signing.Signer(salt=ical.SALT).sign_object([1, 2]),
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_or_unknown_token_finds_nothing(client, office, forgery):
    token = FORGERIES[forgery]()
    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_a_revoked_version_or_inactive_provider_finds_nothing(client, office, visits):
    provider = office["provider"]
    old = signing.Signer(salt=ical.SALT).sign_object({"p": provider.pk, "v": 0})
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    provider.active = False
    provider.save()
    assert client.get(feed_url(provider)).status_code == 404


def test_every_fetch_is_in_the_access_log(client, office, visits):
    client.get(feed_url(office["provider"]))
    (row,) = AccessLogEntry.objects.filter(object_type="calendar feed")
    assert row.username == "system" and row.object_id == str(office["provider"].pk)
    assert row.patient_id is None


def test_the_token_is_stable_and_names_its_provider(office, make_provider):
    other = make_provider(first_name="Omar", last_name="Khan")
    token = ical.feed_token(office["provider"])
    assert token == ical.feed_token(office["provider"]) != ical.feed_token(other)
    assert ical.provider_for_token(token) == office["provider"]
    assert ical.initials("  ", "") == "?" and ical.initials("anne", "de la Cruz") == "A.D."


# --- the page that shows the address ---------------------------------------------------


def test_a_provider_sees_their_own_feed_address(client_as, office, make_provider):
    make_provider(first_name="Omar", last_name="Khan")
    client = client_as("provider")
    office["provider"].user = client.user
    office["provider"].save()

    response = client.get(FEEDS)

    assert response.status_code == 200
    text = page_text(response)
    assert "Dr. Patel" in text and "Khan" not in text
    assert f"http://testserver{feed_url(office['provider'])}" in response.content.decode()
    assert "Keep the address secret" in text


def test_the_office_manager_sees_every_feed(client_as, office, make_provider):
    make_provider(first_name="Omar", last_name="Khan")
    text = page_text(client_as("office_manager").get(FEEDS))
    assert "Dr. Patel" in text and "Dr. Khan" in text


@pytest.mark.parametrize("role", ["front_desk", "medical_assistant", "biller", "auditor"])
def test_others_do_not_see_feed_addresses(client_as, office, role):
    assert client_as(role).get(FEEDS).status_code == 403


def test_the_day_view_links_to_the_feeds_for_those_who_may_see_them(client_as, office, make_user):
    from django.test import Client

    manager = Client()
    manager.force_login(make_user("office_manager", home_location=office["location"]))
    desk = client_as("front_desk", home_location=office["location"])
    assert FEEDS in manager.get("/schedule/").content.decode()
    assert FEEDS not in desk.get("/schedule/").content.decode()
