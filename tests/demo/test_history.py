"""The seeded schedule: a year of visits as an office would have them, and the weeks ahead.

One small practice (2 providers, 200 patients, 1 year) is seeded once for the
module inside a transaction that is rolled back at the end; every test reads it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict

import pytest
from django.db import connection, transaction
from django.utils import timezone

from medoffice.core.models import Location
from medoffice.demo.context import HOME_ZONE, years_before
from medoffice.demo.holidays import holidays_between
from medoffice.demo.seed import seed_practice
from medoffice.patients.models import Patient
from medoffice.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
    WaitlistEntry,
)
from medoffice.scheduling.services import book_appointment, cancel_appointment

A = Appointment
SIZE = {"providers": 2, "patients": 200, "years": 1, "seed": 3, "payments": False}
# Each test runs in its own transaction inside the module's (so a test that books rolls back).
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        summary = seed_practice(**SIZE)
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def today(seeded) -> dt.date:
    return timezone.now().astimezone(HOME_ZONE).date()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=HOME_ZONE)


def _past(today):
    return A.objects.filter(start__lt=_midnight(today))


def _available_minutes(first: dt.date, last: dt.date) -> float:
    """Minutes of weekly blocks from ``first`` up to ``last``, less the blocked time."""
    exceptions = list(ScheduleException.objects.all())
    total = 0.0
    for block in AvailabilityTemplate.objects.select_related("location"):
        zone = block.location.zone
        day = first
        while day < last:
            if block.in_effect_on(day):
                start = dt.datetime.combine(day, block.start_time, tzinfo=zone)
                end = dt.datetime.combine(day, block.end_time, tzinfo=zone)
                minutes = (end - start).total_seconds() / 60
                for exc in exceptions:
                    if exc.provider_id not in (None, block.provider_id):
                        continue
                    if exc.location_id not in (None, block.location_id):
                        continue
                    overlap = (min(end, exc.end) - max(start, exc.start)).total_seconds() / 60
                    minutes -= max(0.0, overlap)
                total += max(0.0, minutes)
            day += dt.timedelta(days=1)
    return total


def _booked_minutes(first: dt.date, last: dt.date, statuses) -> float:
    visits = A.objects.filter(
        start__gte=_midnight(first), start__lt=_midnight(last), status__in=statuses
    )
    return sum(
        (end - start).total_seconds() / 60 for start, end in visits.values_list("start", "end")
    )


def test_the_summary_counts_what_is_in_the_database(seeded):
    assert seeded.appointments == A.objects.count() > 5000
    assert seeded.events == AppointmentEvent.objects.count()
    assert seeded.past_appointments + seeded.future_appointments == seeded.appointments
    assert seeded.appointment_types == AppointmentType.objects.count() == 7
    assert seeded.templates == AvailabilityTemplate.objects.count()
    assert seeded.exceptions == ScheduleException.objects.count()
    assert seeded.waitlist == WaitlistEntry.objects.count() > 0


def test_every_location_has_exam_rooms_a_procedure_room_a_lab_and_a_telehealth_line(seeded):
    for location in Location.objects.all():
        kinds = defaultdict(int)
        for kind in location.rooms.values_list("kind", flat=True):
            kinds[kind] += 1
        assert kinds[Room.EXAM] >= 2
        assert kinds[Room.PROCEDURE] == kinds[Room.LAB] == kinds[Room.TELEHEALTH] == 1


def test_the_no_show_rate_is_between_5_and_15_percent_and_worst_on_mondays(seeded, today):
    kept = _past(today).exclude(status=A.CANCELLED).select_related("location")
    by_weekday: dict[int, list[bool]] = defaultdict(list)
    for visit in kept:
        by_weekday[visit.local_start.weekday()].append(visit.status == A.NO_SHOW)
    everyone = [missed for day in by_weekday.values() for missed in day]
    rate = sum(everyone) / len(everyone)

    assert 0.05 <= rate <= 0.15
    rates = {day: sum(v) / len(v) for day, v in by_weekday.items() if len(v) > 200}
    assert max(rates, key=rates.get) == 0  # Monday


def test_cancellations_have_reasons_and_some_were_moved_to_a_new_visit(seeded, today):
    past = _past(today)
    cancelled = past.filter(status=A.CANCELLED)

    assert 0.04 <= cancelled.count() / past.count() <= 0.12
    assert not A.objects.filter(status=A.CANCELLED, cancel_reason="").exists()
    moved = A.objects.filter(rescheduled_from__isnull=False).select_related("rescheduled_from")
    assert moved.count() > 20
    for new in moved:
        old = new.rescheduled_from
        assert old.status == A.CANCELLED and old.cancel_reason == "rescheduled"
        assert old.patient_id == new.patient_id
        assert new.booked_at == old.cancelled_at < new.start
        event = old.events.get(kind=A.CANCELLED)
        assert event.detail == {"rescheduled_to": new.pk}
    assert A.objects.filter(cancel_reason="rescheduled").count() == moved.count()


@pytest.mark.parametrize("column", ["provider_id", "room_id"])
def test_no_provider_or_room_holds_two_visits_at_once(seeded, column):
    free = "('cancelled', 'no_show')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT COUNT(*) FROM scheduling_appointment a
            JOIN scheduling_appointment b
              ON b.{column} = a.{column} AND b.id <> a.id
             AND b."start" >= a."start" AND b."start" < a."end"
            WHERE a.{column} IS NOT NULL
              AND a.status NOT IN {free} AND b.status NOT IN {free}
              AND a.overbook = %s AND b.overbook = %s
            """,  # noqa: S608 - fixed column names
            [False, False],
        )
        assert cursor.fetchone()[0] == 0


def test_the_past_is_85_to_95_percent_booked(seeded, today):
    first = years_before(today, SIZE["years"])
    kept = [s for s, _ in A.STATUS_CHOICES if s != A.CANCELLED]

    fill = _booked_minutes(first, today, kept) / _available_minutes(first, today)

    assert 0.85 <= fill <= 0.95


def test_the_next_60_days_are_60_to_80_percent_booked_and_nobody_has_arrived(seeded, today):
    end = today + dt.timedelta(days=60)
    ahead = A.objects.filter(start__gte=_midnight(today))

    fill = _booked_minutes(today, end, A.OCCUPYING_STATUSES) / _available_minutes(today, end)

    assert 0.60 <= fill <= 0.80
    assert set(ahead.values_list("status", flat=True)) <= {A.SCHEDULED, A.CONFIRMED, A.CANCELLED}
    assert ahead.filter(status=A.CONFIRMED).exists()
    assert not ahead.filter(booked_at__gte=_midnight(today)).exists()  # booked before today
    assert ahead.filter(start__gte=_midnight(today + dt.timedelta(days=55))).exists()


def test_completed_visits_have_ordered_realistic_timestamps(seeded, today):
    done = list(_past(today).filter(status=A.CHECKED_OUT).select_related("location"))
    assert done
    for visit in done:
        assert visit.booked_at < visit.arrived_at < visit.roomed_at
        assert visit.roomed_at < visit.with_provider_at < visit.checked_out_at
        if visit.confirmed_at:
            assert visit.booked_at < visit.confirmed_at < visit.arrived_at
        assert visit.arrived_by_id and visit.roomed_by_id and visit.with_provider_by_id
        assert -15 <= (visit.start - visit.arrived_at).total_seconds() / 60 <= 15

    def minutes(a, b):
        return (b - a).total_seconds() / 60

    to_room = [minutes(v.arrived_at, v.roomed_at) for v in done]
    to_provider = [minutes(v.roomed_at, v.with_provider_at) for v in done]
    visit_over = [
        minutes(v.with_provider_at, v.checked_out_at) - minutes(v.start, v.end) for v in done
    ]
    assert 7 <= statistics.median(to_room) <= 13
    assert max(to_room) > 3 * statistics.median(to_room)  # a long tail
    assert 6 <= statistics.median(to_provider) <= 10
    assert 1 <= statistics.median(visit_over) <= 6  # near the type's length, plus checkout

    main = Location.objects.order_by("pk").first()
    monday_mornings = [
        minutes(v.arrived_at, v.roomed_at)
        for v in done
        if v.location_id == main.pk and v.local_start.weekday() == 0 and v.local_start.hour < 12
    ]
    others = [
        minutes(v.arrived_at, v.roomed_at)
        for v in done
        if not (v.location_id == main.pk and v.local_start.weekday() == 0)
    ]
    assert statistics.median(monday_mornings) > 1.3 * statistics.median(others)


def test_each_visits_events_tell_its_story(seeded):
    events = defaultdict(list)
    for event in AppointmentEvent.objects.order_by("at", "id"):
        events[event.appointment_id].append(event)
    visits = A.objects.all()

    assert len(events) == visits.count()
    for visit in visits:
        story = events[visit.pk]
        first = story[0]
        assert (first.kind, first.from_status, first.to_status) == ("booked", "", A.SCHEDULED)
        assert (first.at, first.by_id) == (visit.booked_at, visit.booked_by_id)
        for before, after in zip(story, story[1:], strict=False):
            assert after.from_status == before.to_status, visit.pk
        for event in story[1:]:
            at_field, by_field = A.STATUS_STAMPS[event.to_status]
            assert event.kind == event.to_status
            assert getattr(visit, at_field) == event.at, (visit.pk, event.kind)
            assert getattr(visit, f"{by_field}_id") == event.by_id, (visit.pk, event.kind)
        assert story[-1].to_status == visit.status, visit.pk


def test_nobody_is_booked_in_blocked_time_or_outside_their_blocks(seeded):
    blocks = defaultdict(list)
    for block in AvailabilityTemplate.objects.prefetch_related("appointment_types"):
        blocks[(block.provider_id, block.location_id)].append(
            (block, {t.pk for t in block.appointment_types.all()})
        )
    exceptions = list(ScheduleException.objects.all())
    visits = A.objects.select_related("location")

    for visit in visits:
        start, end = visit.local_start, visit.local_end
        fits = [
            block
            for block, types in blocks[(visit.provider_id, visit.location_id)]
            if block.covers(start, end) and (not types or visit.appointment_type_id in types)
        ]
        assert fits, visit.pk
        assert not visit.outside_template
        assert not any(
            exc.provider_id in (None, visit.provider_id)
            and exc.location_id in (None, visit.location_id)
            and exc.start < visit.end
            and visit.start < exc.end
            for exc in exceptions
        ), visit.pk


def test_the_holidays_vacations_and_template_change_are_there(seeded, today):
    holidays = ScheduleException.objects.filter(kind=ScheduleException.HOLIDAY)
    expected = holidays_between(years_before(today, 1), today + dt.timedelta(days=59))
    assert holidays.count() == len(expected)
    assert all(h.provider_id is None and h.location_id is None for h in holidays)
    for provider in Provider.objects.all():
        vacations = provider.schedule_exceptions.filter(kind=ScheduleException.VACATION)
        assert vacations.filter(end__lt=_midnight(today)).exists()
    assert ScheduleException.objects.filter(start__gte=_midnight(today)).exists()
    assert AvailabilityTemplate.objects.filter(weekday=5).count() == 1  # one Saturday clinic


def test_the_schedule_rows_pass_their_own_validation(seeded):
    rows = [
        *AppointmentType.objects.all(),
        *AvailabilityTemplate.objects.select_related("provider", "location"),
        *ScheduleException.objects.select_related("provider", "location"),
        *WaitlistEntry.objects.all(),
        *A.objects.select_related("room", "location").order_by("?")[:60],
    ]
    problems = []
    for row in rows:
        try:
            row.full_clean()
        except Exception as exc:  # noqa: BLE001 - collect every problem
            problems.append(f"{row!r}: {exc}")
    assert problems == []


def test_patients_are_registered_before_their_first_booking(seeded):
    first = {}
    for patient_id, booked_at in A.objects.values_list("patient_id", "booked_at"):
        first[patient_id] = min(booked_at, first.get(patient_id, booked_at))
    registered = dict(Patient.objects.values_list("pk", "created_at"))
    assert all(registered[p] <= when for p, when in first.items())


def test_the_waitlist_has_open_entries_for_the_weeks_ahead(seeded, today):
    waiting = WaitlistEntry.objects.filter(status=WaitlistEntry.WAITING)
    assert waiting.exists()
    assert all(e.latest_date >= today and e.earliest_date <= e.latest_date for e in waiting)
    assert (
        WaitlistEntry.objects.filter(status=WaitlistEntry.REMOVED)
        .exclude(removed_reason="")
        .exists()
    )


def test_the_front_desk_can_book_after_the_seed(seeded, today):
    """The id sequence is past the seeded visits, and a free time books normally."""
    visit = (
        A.objects.filter(start__gte=_midnight(today + dt.timedelta(days=40)), status=A.SCHEDULED)
        .select_related("patient", "provider", "location", "appointment_type", "room")
        .order_by("start")
        .first()
    )
    cancel_appointment(actor=None, appointment=visit, reason="Patient asked to cancel")

    booked = book_appointment(
        actor=None,
        patient=visit.patient,
        provider=visit.provider,
        location=visit.location,
        appointment_type=visit.appointment_type,
        start=visit.start,
    )

    assert booked.pk > visit.pk
    assert booked.status == A.SCHEDULED
    assert booked.events.get().kind == "booked"
