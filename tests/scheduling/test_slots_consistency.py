"""The finder and the booking service agree, on schedules hypothesis makes up.

On a small random schedule (blocks with steps and type limits, blocked time
of a provider / a location / everyone, bookings and overbookings, rooms or
none at a second location in another time zone) every slot the finder returns
books, with the room it named; and every time on a block's grid that it does
not return is one the booking service refuses. The booking service is the
oracle: nothing here re-implements its rules.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling.models import AvailabilityTemplate, Room, ScheduleException
from medoffice.scheduling.selectors import local_to_utc
from medoffice.scheduling.services import book_appointment
from medoffice.scheduling.slots import open_slots

DAYS = 3
PROVIDERS = ("patel", "lee")
PLACES = ("main", "north")
TYPES = ("follow_up", "new", "procedure", "video", "phone")

blocks = st.lists(
    st.tuples(
        st.sampled_from(PROVIDERS),
        st.sampled_from(PLACES),
        st.integers(0, DAYS - 1),
        st.integers(6 * 4, 16 * 4).map(lambda quarter: quarter * 15),  # start, minutes
        st.sampled_from([20, 30, 60, 95, 120, 180]),  # length
        st.sampled_from([5, 10, 15, 20, 30]),  # slot step
        st.sampled_from([(), ("follow_up",), ("procedure", "video"), ("phone", "new")]),
    ),
    min_size=1,
    max_size=5,
)
blocked = st.lists(
    st.tuples(
        st.sampled_from((*PROVIDERS, None)),
        st.sampled_from((*PLACES, None)),
        st.integers(0, DAYS - 1),
        st.integers(6 * 12, 18 * 12).map(lambda five: five * 5),
        st.integers(1, 48).map(lambda five: five * 5),
    ),
    max_size=3,
)
bookings = st.lists(
    st.tuples(
        st.sampled_from(PROVIDERS),
        st.sampled_from(PLACES),
        st.integers(0, DAYS - 1),
        st.integers(6 * 12, 18 * 12).map(lambda five: five * 5),
        st.sampled_from(TYPES),
        st.booleans(),  # overbook (Dr. Patel accepts it)
    ),
    max_size=8,
)
north_rooms = st.tuples(st.integers(0, 2), st.booleans())  # exam rooms, a procedure room


@pytest.fixture
def cast(office, north, make_provider):
    patel = office["provider"]
    patel.accepts_overbook = True
    patel.save()
    lee = make_provider(
        first_name="Ann", last_name="Lee", credentials="NP", locations=[office["location"], north]
    )
    AvailabilityTemplate.objects.all().delete()  # each example draws its own blocks
    return {
        "providers": {"patel": patel, "lee": lee},
        "places": {"main": office["location"], "north": north},
        "types": office["types"],
    }


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


def wall(place: Location, day: dt.date, minutes: int) -> dt.datetime:
    return local_to_utc(place, day, dt.time(minutes // 60, minutes % 60))


def books(**kwargs):
    """The appointment book_appointment makes of it, rolled back; or None if it refuses."""
    try:
        with transaction.atomic():
            appointment = book_appointment(**kwargs)
            transaction.set_rollback(True)
            return appointment
    except DomainError:
        return None


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    blocks=blocks,
    blocked=blocked,
    bookings=bookings,
    north_rooms=north_rooms,
    kind=st.sampled_from(TYPES),
    step=st.sampled_from([None, None, 10]),
)
def test_every_slot_books_and_every_other_grid_time_is_refused(
    cast, clinic_day, patient, front_desk, blocks, blocked, bookings, north_rooms, kind, step
):
    providers, places, types = cast["providers"], cast["places"], cast["types"]
    with transaction.atomic():
        exams, procedure = north_rooms
        for n in range(exams):
            Room.objects.create(location=places["north"], name=f"N{n}", kind=Room.EXAM)
        if procedure:
            Room.objects.create(location=places["north"], name="NP", kind=Room.PROCEDURE)
        made = []
        for who, where, day, start, length, slot, allowed in blocks:
            block = AvailabilityTemplate.objects.create(
                provider=providers[who],
                location=places[where],
                weekday=(clinic_day + dt.timedelta(days=day)).weekday(),
                start_time=dt.time(start // 60, start % 60),
                end_time=dt.time((start + length) // 60, (start + length) % 60),
                slot_minutes=slot,
                effective_from=dt.date(2020, 1, 1),
            )
            block.appointment_types.set([types[name] for name in allowed])
            made.append(block)
        for who, where, day, start, length in blocked:
            place = places[where] if where else places["main"]
            first = wall(place, clinic_day + dt.timedelta(days=day), start)
            ScheduleException.objects.create(
                provider=providers[who] if who else None,
                location=places[where] if where else None,
                start=first,
                end=first + dt.timedelta(minutes=length),
            )
        for who, where, day, start, name, overbook in bookings:
            books(
                actor=front_desk,
                patient=patient,
                provider=providers[who],
                location=places[where],
                appointment_type=types[name],
                start=wall(places[where], clinic_day + dt.timedelta(days=day), start),
                allow_outside_template=True,
                overbook_reason="squeezed in" if overbook else "",
            )

        slots = open_slots(
            appointment_type=types[kind],
            start=wall(places["main"], clinic_day, 0) - dt.timedelta(hours=2),
            end=wall(places["main"], clinic_day + dt.timedelta(days=DAYS), 0),
            limit=100,
            step=step,
        )

        booking = {"actor": front_desk, "patient": patient, "appointment_type": types[kind]}
        offered = set()
        for slot in slots:
            appointment = books(
                provider=slot.provider, location=slot.location, start=slot.start, **booking
            )
            assert appointment is not None, f"offered but refused: {slot}"
            assert appointment.room == slot.room
            assert appointment.end == slot.end
            offered.add((slot.provider.pk, slot.location.pk, slot.start))
        assert [s.start for s in slots] == sorted(s.start for s in slots)

        if len(slots) < 100:  # the finder saw everything: every other grid time is refused
            duration = types[kind].duration_minutes
            for block in made:
                takes = {t.pk for t in block.appointment_types.all()}
                if takes and types[kind].pk not in takes:
                    continue  # its grid is not offered for this type (another block's may be)
                for day in (clinic_day + dt.timedelta(days=n) for n in range(DAYS)):
                    if day.weekday() != block.weekday:
                        continue
                    minute = block.start_time.hour * 60 + block.start_time.minute
                    closing = block.end_time.hour * 60 + block.end_time.minute
                    while minute + duration <= closing:
                        start = wall(block.location, day, minute)
                        minute += step or block.slot_minutes
                        if (block.provider_id, block.location_id, start) in offered:
                            continue
                        refused = books(
                            provider=block.provider,
                            location=block.location,
                            start=start,
                            **booking,
                        )
                        assert refused is None, f"bookable but not offered: {refused}"
        transaction.set_rollback(True)
