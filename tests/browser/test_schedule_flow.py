"""A visit from the front desk's screen to the flow board, in a real chromium (scenarios 1 and 2).

Maria (front desk) finds the next open slot, books it from the day view and checks the
patient in; Ahmed (medical assistant) rooms her and brings the doctor in; Maria checks her
out and sees on the flow board how long each step took. The server's clock is stopped and
moved on by hand, so the minutes on the board are known.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from django.utils import timezone

from medoffice.patients.models import Patient, mrn_from_sequence
from medoffice.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
)
from medoffice.scheduling.services import book_appointment, record_flow_step
from tests.browser.test_sign_in import sign_in
from tests.conftest import PASSWORD
from tests.scheduling.conftest import valid_npi

expect = pytest.importorskip("playwright.sync_api", reason="needs the playwright package").expect
pytestmark = pytest.mark.browser

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


class Clock:
    """``timezone.now()`` of the server (the live server runs in this process)."""

    def __init__(self, monkeypatch, day: dt.date):
        self.day = day
        self.now = self.at("10:20")
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def at(self, hhmm: str) -> dt.datetime:
        hour, minute = (int(p) for p in hhmm.split(":"))
        local = dt.datetime.combine(self.day, dt.time(hour, minute), tzinfo=CHICAGO)
        return local.astimezone(dt.UTC)

    def set(self, hhmm: str) -> None:
        self.now = self.at(hhmm)


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, dt.datetime.now(CHICAGO).date())


@pytest.fixture
def office(location):
    """Main: Dr. Patel every day 8:00–17:00, two exam rooms, follow-ups, Grace Okafor."""
    patel = Provider.objects.create(
        first_name="Priya", last_name="Patel", credentials="MD", npi=valid_npi(7)
    )
    patel.locations.add(location)
    for weekday in range(7):
        AvailabilityTemplate.objects.create(
            provider=patel,
            location=location,
            weekday=weekday,
            start_time=dt.time(8),
            end_time=dt.time(17),
            effective_from=dt.date(2020, 1, 1),
        )
    rooms = [Room.objects.create(location=location, name=f"Exam {n}") for n in (1, 2)]
    follow_up = AppointmentType.objects.create(
        name="Follow-up", code="FU", duration_minutes=20, room_kind=Room.EXAM, colour="#2a6f97"
    )
    grace = Patient.objects.create(
        mrn=mrn_from_sequence(700_001),
        first_name="Grace",
        last_name="Okafor",
        date_of_birth=dt.date(1958, 4, 2),
        sex_at_birth="F",
        address1="4 Elm St",
        city="Springfield",
        state="IL",
        zip="62701",
        phone_mobile="2175550177",
    )
    return {"patel": patel, "rooms": rooms, "follow_up": follow_up, "grace": grace}


def test_book_check_in_room_and_check_out_then_see_the_waits(
    page, chromium, live_server, make_user, location, office, clock, artifacts
):
    maria = make_user("front_desk", first_name="Maria", home_location=location)
    ahmed = make_user("medical_assistant", first_name="Ahmed", home_location=location)
    today = clock.day.isoformat()

    # Maria finds the next open follow-up at Main
    sign_in(page, maria.username, PASSWORD)
    page.goto("/next-available/")
    page.get_by_label("Visit type").select_option(label="Follow-up")
    first = page.locator("td.slot-time").first
    expect(first).to_be_visible()
    start = first.inner_text().split("–")[0].strip()
    assert start == "10:30"  # the clock says 10:20; slots come every 15 minutes

    # … and books it from the day view: the empty slot opens the booking form
    page.goto(f"/schedule/?date={today}")
    page.get_by_title(f"Book Dr. Patel at {start}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="Book a visit")).to_be_visible()
    dialog.get_by_label("Patient").fill("okafor")
    dialog.get_by_label(re.compile("Okafor, Grace")).check()
    dialog.get_by_label("Visit type").select_option(label="Follow-up")
    dialog.get_by_role("button", name="Book", exact=True).click()
    expect(dialog.get_by_role("status")).to_contain_text("Booked Okafor, G. with Dr. Patel")
    page.screenshot(path=str(artifacts / "schedule-booked-1280.png"))
    visit = Appointment.objects.get(patient=office["grace"])
    assert visit.local_hours == "10:30–10:50"

    # the day grid shows the new visit without a reload
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(".appt", has_text="Okafor, G.")).to_be_visible()

    # she arrives at 10:28: Maria opens the visit and checks her in
    clock.set("10:28")
    page.locator(".appt", has_text="Okafor, G.").click()
    dialog.get_by_role("button", name="Check in").click()
    expect(dialog.get_by_role("status")).to_contain_text("Checked in.")
    dialog.get_by_role("button", name="Close").click()
    expect(page.locator(".appt", has_text="Okafor, G.")).to_contain_text("Arrived")

    # Ahmed sees her waiting on the flow board (12 minutes at 10:40) and rooms her in Exam 2
    clock.set("10:40")
    ma = chromium.new_context(viewport={"width": 1280, "height": 800}, base_url=live_server.url)
    ma.set_default_timeout(15_000)
    board = ma.new_page()
    sign_in(board, ahmed.username, PASSWORD)
    board.goto("/flow-board/")
    waiting = board.locator(".col-arrived .fcard", has_text="Okafor, G.")
    expect(waiting).to_contain_text("12 min")
    board.screenshot(path=str(artifacts / "flow-board-waiting-1280.png"), full_page=True)
    waiting.get_by_label("Room for Okafor, G.").select_option(label="Exam 2")
    waiting.get_by_role("button", name="Room").click()
    roomed = board.locator(".col-roomed .fcard", has_text="Okafor, G.")
    expect(roomed).to_contain_text("Exam 2")

    # Maria keeps the flow board open at the desk
    page.goto("/flow-board/")
    expect(page.locator(".col-roomed .fcard", has_text="Okafor, G.")).to_be_visible()

    # Dr. Patel comes in at 10:47
    clock.set("10:47")
    roomed.get_by_role("button", name="With provider").click()
    expect(board.locator(".col-with_provider .fcard", has_text="Okafor, G.")).to_be_visible()
    ma.close()

    # the board at the desk follows by itself (it asks every 15 seconds)
    with_provider = page.locator(".col-with_provider .fcard", has_text="Okafor, G.")
    expect(with_provider).to_be_visible(timeout=20_000)

    # Maria checks her out at 11:00
    clock.set("11:00")
    with_provider.get_by_role("button", name="Check out").click()

    # and the board shows the minutes of each step
    done = page.locator(".col-checked_out .fcard", has_text="Okafor, G.")
    expect(done).to_contain_text(re.compile(r"Waiting room\s*12 min"))
    expect(done).to_contain_text(re.compile(r"Roomed\s*7 min"))
    expect(done).to_contain_text(re.compile(r"With provider\s*13 min"))
    expect(done).to_contain_text(re.compile(r"Total\s*32 min"))
    for width in (1280, 800):
        page.set_viewport_size({"width": width, "height": 800})
        page.screenshot(path=str(artifacts / f"flow-board-{width}.png"), full_page=True)

    visit.refresh_from_db()
    assert visit.status == "checked_out" and visit.room == office["rooms"][1]
    assert (visit.arrived_by, visit.roomed_by, visit.checked_out_by) == (maria, ahmed, maria)


def test_schedule_pages_look_right_at_desktop_and_tablet_width(
    page, make_user, location, office, clock, artifacts
):
    """A busy morning for screenshots: three providers, visits in every state."""
    maria = make_user("front_desk", first_name="Maria", home_location=location)
    day = clock.day
    doctors = [office["patel"]]
    for n, (first, last, cred) in enumerate(
        [("Omar", "Khan", "NP"), ("Lena", "Novak", "MD")], start=1
    ):
        doctor = Provider.objects.create(
            first_name=first, last_name=last, credentials=cred, npi=valid_npi(20 + n)
        )
        doctor.locations.add(location)
        AvailabilityTemplate.objects.bulk_create(
            AvailabilityTemplate(
                provider=doctor,
                location=location,
                weekday=w,
                start_time=dt.time(8),
                end_time=dt.time(12) if cred == "NP" else dt.time(16),
                effective_from=dt.date(2020, 1, 1),
            )
            for w in range(7)
        )
        doctors.append(doctor)
    Room.objects.bulk_create(Room(location=location, name=f"Exam {n}") for n in (3, 4, 5))
    new_patient = AppointmentType.objects.create(
        name="New patient", code="NP", duration_minutes=40, room_kind=Room.EXAM, colour="#7b4fa0"
    )
    physical = AppointmentType.objects.create(
        name="Annual physical",
        code="PE",
        duration_minutes=30,
        room_kind=Room.EXAM,
        colour="#2e7d4f",
    )
    phone = AppointmentType.objects.create(
        name="Phone call", code="PH", duration_minutes=15, colour="#b5651d"
    )
    kinds = [office["follow_up"], new_patient, physical, phone]
    names = ["Lee", "Nguyen", "Garcia", "Smith", "Cohen", "Ibrahim", "Rossi", "Kowalski"]
    n = 0
    for d, doctor in enumerate(doctors):
        when = clock.at("8:00") + dt.timedelta(minutes=10 * d)
        while True:
            kind = kinds[n % 4]
            if when + dt.timedelta(minutes=kind.duration_minutes) > clock.at("12:00"):
                break
            patient = Patient.objects.create(
                mrn=mrn_from_sequence(710_000 + n),
                first_name=["Ann", "Bo", "Cy", "Di", "Ed"][n % 5],
                last_name=names[n % len(names)],
                date_of_birth=dt.date(1950 + n % 40, 1 + n % 12, 1 + n % 28),
                sex_at_birth="F",
                address1="1 Oak St",
                city="Springfield",
                state="IL",
                zip="62701",
            )
            appt = book_appointment(
                actor=maria,
                patient=patient,
                provider=doctor,
                location=location,
                appointment_type=kind,
                start=when,
            )
            local = when.astimezone(CHICAGO)
            minutes = local.hour * 60 + local.minute
            steps = []
            if minutes < 9 * 60 + 30:
                steps = ["arrived", "roomed", "with_provider", "checked_out"]
            elif minutes < 10 * 60:
                steps = ["arrived", "roomed", "with_provider"][: 1 + n % 3]
            elif minutes < 10 * 60 + 20:
                steps = ["arrived"]
            for i, step in enumerate(steps):
                record_flow_step(
                    actor=maria,
                    appointment=appt,
                    step=step,
                    at=min(when + dt.timedelta(minutes=4 + 9 * i), clock.now),
                )
            when += dt.timedelta(minutes=kind.duration_minutes + (5 if n % 3 == 0 else 0))
            n += 1

    sign_in(page, maria.username, PASSWORD)
    for path, name in [
        (f"/schedule/?date={day}", "day"),
        (f"/schedule/?date={day}&by=room", "day-rooms"),
        (f"/schedule/week/?date={day}", "week"),
        (f"/flow-board/?date={day}", "flow-board-busy"),
        ("/wait-times/", "wait-times"),
        (f"/schedule/day-sheet/?date={day}", "day-sheet"),
    ]:
        page.goto(path)
        for width in (1280, 800):
            page.set_viewport_size({"width": width, "height": 900})
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
            page.screenshot(path=str(artifacts / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/schedule/?date={day}")
    page.locator(".appt.st-roomed").first.click()
    expect(page.get_by_role("dialog")).to_be_visible()
    page.screenshot(path=str(artifacts / "appointment-panel-1280.png"))
