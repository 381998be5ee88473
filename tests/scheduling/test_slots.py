"""Next open slot: the finder honours blocks, blocked time, bookings, rooms, wishes and the clock.

The office is the scheduling conftest's: Dr. Patel at Main (Chicago), weekdays
8:00–12:00 and 13:00–17:00 on a 15-minute grid, Exam 1, Exam 2 and a
procedure room; a follow-up lasts 20 minutes. ``clinic_day`` is a Monday a
few weeks ahead.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import transaction

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling.models import AppointmentType, Room, ScheduleException
from medoffice.scheduling.services import book_appointment, cancel_appointment
from medoffice.scheduling.slots import TimeRange, open_slots
from tests.scheduling.conftest import CHICAGO, at

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def hours(slots, zone=CHICAGO) -> list[str]:
    """ "Mon 8:00" for each slot, in ``zone``."""
    return [f"{s.start.astimezone(zone):%a} {s.start.astimezone(zone):%-H:%M}" for s in slots]


@pytest.fixture
def find(office, clinic_day):
    """find(**changes) -> slots: follow-ups at Main from clinic_day 0:00, first 10."""

    def run(**changes):
        values = {
            "appointment_type": office["types"]["follow_up"],
            "start": at(clinic_day, "0:00"),
            "end": at(clinic_day + dt.timedelta(days=14), "0:00"),
        }
        values.update(changes)
        return open_slots(**values)

    return run


@pytest.fixture
def north(practice) -> Location:
    return Location.objects.create(
        practice=practice,
        name="North",
        address1="5 Lake Rd",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
        time_zone="America/New_York",
    )


# -- the grid of the weekly blocks ---------------------------------------------------------------


def test_slots_lie_on_the_blocks_grid_earliest_first(find, office, clinic_day):
    slots = find(limit=3)

    assert hours(slots) == ["Mon 8:00", "Mon 8:15", "Mon 8:30"]
    first = slots[0]
    assert first.start == at(clinic_day, "8:00")
    assert first.end == at(clinic_day, "8:20")
    assert first.start.utcoffset() == dt.timedelta(0)
    assert (first.provider, first.location) == (office["provider"], office["location"])
    assert first.room == office["rooms"]["exam1"]
    assert first.local_hours == "8:00–8:20"


def test_the_whole_visit_fits_in_the_block(find, clinic_day):
    slots = find(start=at(clinic_day, "11:00"), limit=4)

    # 11:45 would end 12:05, after the morning block: the next is the afternoon's first.
    assert hours(slots) == ["Mon 11:00", "Mon 11:15", "Mon 11:30", "Mon 13:00"]


def test_the_block_step_sets_the_grid_and_step_overrides_it(find, weekday_blocks, clinic_day):
    for block in weekday_blocks:
        block.slot_minutes = 30
        block.save()

    assert hours(find(limit=3)) == ["Mon 8:00", "Mon 8:30", "Mon 9:00"]
    assert hours(find(limit=3, step=10)) == ["Mon 8:00", "Mon 8:10", "Mon 8:20"]


def test_a_block_that_does_not_take_the_type_offers_nothing_for_it(
    find, office, weekday_blocks, clinic_day
):
    monday_morning = weekday_blocks[0]
    monday_morning.appointment_types.set([office["types"]["procedure"]])

    assert hours(find(limit=1)) == ["Mon 13:00"]
    assert hours(find(limit=1, appointment_type=office["types"]["procedure"])) == ["Mon 8:00"]


def test_blocks_apply_only_between_their_effective_dates(find, weekday_blocks, clinic_day):
    for block in weekday_blocks[:2]:  # Monday's two blocks
        block.effective_to = clinic_day - dt.timedelta(days=1)
        block.save()

    assert hours(find(limit=1)) == ["Tue 8:00"]


def test_weekends_and_days_without_blocks_are_skipped(find, clinic_day):
    saturday = clinic_day + dt.timedelta(days=5)

    slots = find(start=at(saturday, "0:00"), limit=1)

    assert slots[0].start == at(clinic_day + dt.timedelta(days=7), "8:00")


# -- what is already booked ---------------------------------------------------------------------


def test_partial_overlaps_with_a_booking_are_left_out(find, book, clinic_day):
    book(at(clinic_day, "9:10"))  # 9:10–9:30

    slots = find(start=at(clinic_day, "8:30"), limit=4)

    # 8:45–9:05 fits before it; 9:00 and 9:15 overlap it; 9:30 starts as it ends.
    assert hours(slots) == ["Mon 8:30", "Mon 8:45", "Mon 9:30", "Mon 9:45"]


def test_cancelled_and_no_show_visits_free_their_time(find, book, clinic_day, front_desk):
    appt = book(at(clinic_day, "8:00"))
    assert hours(find(limit=1)) == ["Mon 8:30"]

    cancel_appointment(actor=front_desk, appointment=appt, reason="patient asked")

    assert hours(find(limit=1)) == ["Mon 8:00"]


def test_a_booking_at_another_location_holds_the_provider_too(
    find, office, north, make_template, make_patient_record, front_desk, clinic_day
):
    provider = office["provider"]
    provider.locations.add(north)
    Room.objects.create(location=north, name="N1", kind=Room.EXAM)
    make_template(provider, north, 0, "08:00", "10:00")  # 7:00–9:00 Chicago time
    book_appointment(
        actor=front_desk,
        patient=make_patient_record(),
        provider=provider,
        location=north,
        appointment_type=office["types"]["follow_up"],
        start=at(clinic_day, "8:50", NEW_YORK),  # 7:50–8:10 Chicago
    )

    slots = find(locations=[office["location"]], limit=1)
    assert hours(slots) == ["Mon 8:15"]  # 8:00–8:20 at Main would overlap it
    everywhere = find(limit=5)
    assert [(s.location.name, s.local_hours) for s in everywhere] == [
        ("North", "8:00–8:20"),
        ("North", "8:15–8:35"),
        ("North", "8:30–8:50"),
        ("Main", "8:15–8:35"),  # the same instant as North 9:15: Main first by name
        ("North", "9:15–9:35"),
    ]


def test_the_patients_own_visits_are_left_out_when_asked(
    find, office, make_provider, make_template, patient, front_desk, clinic_day
):
    other = make_provider(first_name="Ann", last_name="Lee", credentials="NP")
    make_template(other, office["location"], 0, "08:00", "12:00")
    book_appointment(
        actor=front_desk,
        patient=patient,
        provider=other,
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=at(clinic_day, "8:00"),
    )

    assert hours(find(providers=[office["provider"]], limit=1)) == ["Mon 8:00"]
    assert hours(find(providers=[office["provider"]], limit=1, patient=patient)) == ["Mon 8:30"]


# -- rooms ------------------------------------------------------------------------------------


def test_a_slot_needs_a_free_room_of_the_kind(
    find, office, make_provider, make_template, make_patient_record, front_desk, clinic_day
):
    others = []
    for name in ("Lee", "Ng"):
        other = make_provider(first_name="Ann", last_name=name, credentials="NP")
        make_template(other, office["location"], 0, "08:00", "12:00")
        others.append(other)
    for other in others:  # both exam rooms 8:00–9:00
        for start in ("8:00", "8:20", "8:40"):
            book_appointment(
                actor=front_desk,
                patient=make_patient_record(),
                provider=other,
                location=office["location"],
                appointment_type=office["types"]["follow_up"],
                start=at(clinic_day, start),
            )

    slots = find(providers=[office["provider"]], limit=2)

    assert hours(slots) == ["Mon 9:00", "Mon 9:15"]
    procedure = find(
        providers=[office["provider"]], appointment_type=office["types"]["procedure"], limit=1
    )
    assert hours(procedure) == ["Mon 8:00"]
    assert procedure[0].room == office["rooms"]["proc"]


def test_the_first_free_room_is_the_one_booking_would_take(find, book, office, clinic_day):
    book(at(clinic_day, "8:00"), room=office["rooms"]["exam1"], provider=office["provider"])

    slot = find(start=at(clinic_day, "8:30"), limit=1)[0]
    assert slot.room == office["rooms"]["exam1"]  # free again at 8:30


def test_no_room_of_the_kind_no_slots_but_video_visits_need_none(find, office, rooms):
    rooms["proc"].active = False
    rooms["proc"].save()

    assert find(appointment_type=office["types"]["procedure"]) == []
    video = find(appointment_type=office["types"]["video"], limit=1)
    assert video[0].room is None
    phone = find(appointment_type=office["types"]["phone"], limit=1)
    assert phone[0].room is None


def test_video_visits_use_virtual_lines_when_the_location_has_them(
    find, book, office, location, clinic_day, make_provider, make_template
):
    video = AppointmentType.objects.create(
        name="Video with a line",
        code="VL",
        duration_minutes=20,
        telehealth=True,
        room_kind=Room.TELEHEALTH,
    )
    assert find(appointment_type=video, limit=1)[0].room is None  # no lines set up: none needed
    line = Room.objects.create(location=location, name="Video 1", kind=Room.TELEHEALTH)
    assert find(appointment_type=video, limit=1)[0].room == line
    other = make_provider(first_name="Ann", last_name="Lee", credentials="NP")
    make_template(other, location, 0, "08:00", "12:00")
    book(at(clinic_day, "8:00"), provider=other, appointment_type=video)  # the only line

    slots = find(appointment_type=video, providers=[office["provider"]], limit=1)
    assert hours(slots) == ["Mon 8:30"]


# -- blocked time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("whose", "where"),
    [("provider", "here"), ("provider", "everywhere"), (None, "here"), (None, "everywhere")],
)
def test_blocked_time_of_the_provider_the_location_or_the_practice(
    find, office, clinic_day, whose, where
):
    ScheduleException.objects.create(
        provider=office["provider"] if whose else None,
        location=office["location"] if where == "here" else None,
        start=at(clinic_day, "0:00"),
        end=at(clinic_day + dt.timedelta(days=1), "0:00"),
        kind=ScheduleException.HOLIDAY,
    )

    assert hours(find(limit=1)) == ["Tue 8:00"]


def test_blocked_time_elsewhere_or_of_someone_else_does_not_count(
    find, office, north, make_provider, clinic_day
):
    other = make_provider(first_name="Ann", last_name="Lee", credentials="NP")
    day = (at(clinic_day, "0:00"), at(clinic_day + dt.timedelta(days=1), "0:00"))
    ScheduleException.objects.create(location=north, start=day[0], end=day[1])
    ScheduleException.objects.create(provider=other, start=day[0], end=day[1])
    office["provider"].locations.add(north)
    ScheduleException.objects.create(
        provider=office["provider"], location=north, start=day[0], end=day[1]
    )

    assert hours(find(limit=1)) == ["Mon 8:00"]


def test_a_meeting_removes_only_the_times_it_overlaps(find, office, clinic_day):
    ScheduleException.objects.create(
        provider=office["provider"],
        location=office["location"],
        start=at(clinic_day, "8:30"),
        end=at(clinic_day, "9:30"),
        kind=ScheduleException.MEETING,
    )

    assert hours(find(limit=4)) == ["Mon 8:00", "Mon 9:30", "Mon 9:45", "Mon 10:00"]


# -- who and where ----------------------------------------------------------------------------


def test_any_provider_earliest_first_ties_by_name(
    find, office, make_provider, make_template, clinic_day
):
    adams = make_provider(first_name="Ben", last_name="Adams", credentials="DO")
    make_template(adams, office["location"], 0, "08:00", "12:00")

    slots = find(limit=4)

    assert [(s.provider.last_name, s.local_hours) for s in slots] == [
        ("Adams", "8:00–8:20"),
        ("Patel", "8:00–8:20"),
        ("Adams", "8:15–8:35"),
        ("Patel", "8:15–8:35"),
    ]
    assert slots[1].room == slots[0].room  # each alone would take Exam 1
    only = find(providers=[office["provider"]], limit=2)
    assert {s.provider for s in only} == {office["provider"]}


def test_inactive_providers_and_places_they_do_not_work_offer_nothing(
    find, office, north, make_template, clinic_day
):
    make_template(office["provider"], north, 0, "06:00", "09:00")  # not at North (no link)
    Room.objects.create(location=north, name="N1", kind=Room.EXAM)
    assert find(locations=[north]) == []

    office["provider"].active = False
    office["provider"].save()
    assert find() == []


def test_locations_in_other_zones_interleave_by_the_instant(
    find, office, north, make_provider, make_template, clinic_day
):
    east = make_provider(first_name="Ed", last_name="East", locations=[north])
    Room.objects.create(location=north, name="N1", kind=Room.EXAM)
    make_template(east, north, 0, "08:00", "09:00")  # 7:00–8:00 Chicago

    slots = find(limit=5)

    assert [(s.location.name, s.local_hours) for s in slots] == [
        ("North", "8:00–8:20"),
        ("North", "8:15–8:35"),
        ("North", "8:30–8:50"),
        ("Main", "8:00–8:20"),
        ("Main", "8:15–8:35"),
    ]


# -- the clock and the window -----------------------------------------------------------------


def test_times_already_past_are_never_offered(find, clinic_day):
    slots = find(now=at(clinic_day, "10:07"), limit=2)

    assert hours(slots) == ["Mon 10:15", "Mon 10:30"]


def test_a_visit_that_began_before_the_search_still_holds_its_time(find, book, clinic_day):
    book(at(clinic_day, "8:00"))  # 8:00–8:20

    slots = find(now=at(clinic_day, "8:05"), limit=1)

    assert hours(slots) == ["Mon 8:30"]  # 8:15 would overlap its last five minutes


def test_slots_lie_wholly_inside_the_window(find, clinic_day):
    slots = find(start=at(clinic_day, "8:05"), end=at(clinic_day, "9:00"), limit=10)

    assert hours(slots) == ["Mon 8:15", "Mon 8:30"]  # 8:45 would end 9:05


def test_the_limit_is_kept(find):
    assert len(find(limit=1)) == 1
    assert len(find(limit=37)) == 37
    assert len(find(limit=100)) == 100


# -- the patient's wishes ---------------------------------------------------------------------


def test_preferred_weekdays(find):
    assert hours(find(preferred_weekdays=[2], limit=1)) == ["Wed 8:00"]
    assert hours(find(preferred_weekdays=[4, 1], limit=1)) == ["Tue 8:00"]


def test_morning_afternoon_and_a_range(find, clinic_day):
    assert hours(find(preferred_times="afternoon", limit=1)) == ["Mon 13:00"]
    late = find(start=at(clinic_day, "11:50"), preferred_times="morning", limit=1)
    assert hours(late) == ["Tue 8:00"]
    assert hours(find(preferred_times="9:30-10:10", limit=3)) == [
        "Mon 9:30",
        "Mon 9:45",
        "Tue 9:30",  # 10:00–10:20 ends after 10:10
    ]
    ranged = find(preferred_times=[TimeRange(dt.time(15, 0), dt.time(15, 40))], limit=2)
    assert hours(ranged) == ["Mon 15:00", "Mon 15:15"]
    both = find(preferred_times=["morning", (dt.time(16, 30), dt.time(17, 0))], limit=100)
    assert {h.split()[1] for h in hours(both)} >= {"8:00", "11:30", "16:30"}
    assert "13:00" not in {h.split()[1] for h in hours(both)}


# -- bad requests -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"limit": 0}, "limit", "invalid"),
        ({"limit": 101}, "limit", "invalid"),
        ({"step": 7}, "step", "invalid"),
        ({"end": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)}, "end", "end_before_start"),
        ({"start": dt.datetime(2030, 1, 1, 9, 0)}, "start", "invalid_time"),  # noqa: DTZ001 naive on purpose
        ({"end": dt.datetime(2099, 1, 1, tzinfo=dt.UTC)}, "end", "invalid_window"),
        ({"preferred_weekdays": [7]}, "preferred_weekdays", "invalid"),
        ({"preferred_times": "evening"}, "preferred_times", "invalid"),
        ({"preferred_times": "11:00-9:00"}, "preferred_times", "invalid"),
    ],
)
def test_bad_requests_name_the_field(find, changes, field, code):
    with pytest.raises(DomainError) as caught:
        find(**changes)

    assert (caught.value.field, caught.value.code, caught.value.status) == (field, code, 422)


def test_a_type_no_longer_offered_is_refused(find, office):
    office["types"]["follow_up"].active = False
    office["types"]["follow_up"].save()

    with pytest.raises(DomainError) as caught:
        find()
    assert caught.value.field == "appointment_type"


# -- daylight saving --------------------------------------------------------------------------


def next_dst_change(zone: zoneinfo.ZoneInfo, after: dt.date) -> dt.date:
    """The first day after ``after`` whose local noon has another UTC offset than the day before."""
    day = after
    while True:
        before = dt.datetime.combine(day, dt.time(12), tzinfo=zone).utcoffset()
        day += dt.timedelta(days=1)
        if dt.datetime.combine(day, dt.time(12), tzinfo=zone).utcoffset() != before:
            return day


@pytest.mark.parametrize("nth", [0, 1], ids=["next change", "the one after"])
def test_a_9_oclock_block_is_9_oclock_on_both_sides_of_a_dst_change(
    office, make_template, weekday_blocks, today_chicago, patient, front_desk, nth
):
    change = next_dst_change(CHICAGO, today_chicago + dt.timedelta(days=2))  # a Sunday
    if nth:
        change = next_dst_change(CHICAGO, change)
    friday, monday = change - dt.timedelta(days=2), change + dt.timedelta(days=1)
    # A Sunday block across the change itself, 0:00–4:00: 2:00–3:00 is skipped in spring,
    # 1:00–2:00 happens twice in autumn.
    make_template(office["provider"], office["location"], 6, "00:00", "04:00")

    slots = open_slots(
        appointment_type=office["types"]["follow_up"],
        start=at(friday, "0:00"),
        end=at(monday, "23:59"),
        limit=100,
    )

    local = [(s.local_start.date(), s.local_start.strftime("%-H:%M")) for s in slots]
    assert (friday, "8:00") in local and (monday, "8:00") in local
    offsets = {s.local_start.date(): s.local_start.utcoffset() for s in slots}
    assert offsets[friday] != offsets[monday]
    for s in slots:  # every slot, around the change too, is a real 20-minute visit
        assert s.end - s.start == dt.timedelta(minutes=20)
    assert len({s.start for s in slots}) == len(slots)
    sunday = [s for s in slots if s.local_start.date() == change]
    assert sunday, "the Sunday block offers slots around the change"
    for s in sunday:
        with transaction.atomic():
            appt = book_appointment(
                actor=front_desk,
                patient=patient,
                provider=s.provider,
                location=s.location,
                appointment_type=s.appointment_type,
                start=s.start,
            )
            assert (appt.start, appt.end) == (s.start, s.end)
            transaction.set_rollback(True)


# -- cost -------------------------------------------------------------------------------------


def test_the_query_count_does_not_grow_with_providers_or_bookings(
    find,
    office,
    make_provider,
    make_template,
    make_patient_record,
    front_desk,
    clinic_day,
    django_assert_max_num_queries,
):
    with django_assert_max_num_queries(6) as one:
        find(limit=10)
    for n in range(8):
        other = make_provider(first_name="Ann", last_name=f"Lee{n}", credentials="NP")
        for weekday in range(5):
            make_template(other, office["location"], weekday, "08:00", "17:00")
        book_appointment(
            actor=front_desk,
            patient=make_patient_record(),
            provider=other,
            location=office["location"],
            appointment_type=office["types"]["phone"],
            start=at(clinic_day, "8:00"),
        )

    with django_assert_max_num_queries(len(one.captured_queries)):
        find(limit=10)


def test_a_search_through_booked_weeks_reads_them_in_growing_chunks(
    find, office, weekday_blocks, make_template, book, clinic_day, django_assert_max_num_queries
):
    for block in weekday_blocks:
        block.delete()
    make_template(office["provider"], office["location"], 0, "08:00", "08:20")
    mondays = [clinic_day + dt.timedelta(weeks=n) for n in range(7)]
    for monday in mondays[:6]:
        book(at(monday, "8:00"))

    # Pairs, rooms, blocks, blocked time, then one query per chunk of 1, 2, 4 … 32 days
    # that has candidates: never one per day.
    with django_assert_max_num_queries(4 + 6):
        slots = find(end=at(clinic_day + dt.timedelta(days=300), "0:00"), limit=1)
    assert slots[0].start == at(mondays[6], "8:00")
