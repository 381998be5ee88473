"""The same seed gives the same schedule history (on the same day); another seed another one."""

from __future__ import annotations

from django.db import transaction

from medoffice.demo.seed import seed_practice
from medoffice.scheduling.models import Appointment, AppointmentEvent, ScheduleException

TINY = {"providers": 1, "patients": 60, "years": 1}


def _history(seed: int) -> dict:
    """Seed a tiny practice, read back its schedule by natural keys, and roll it all back."""
    with transaction.atomic():
        seed_practice(seed=seed, **TINY)
        visits = list(
            Appointment.objects.order_by("start", "provider__npi", "booked_at").values_list(
                "start",
                "end",
                "provider__npi",
                "patient__mrn",
                "appointment_type__code",
                "room__name",
                "status",
                "booked_at",
                "confirmed_at",
                "arrived_at",
                "roomed_at",
                "with_provider_at",
                "checked_out_at",
                "no_show_at",
                "cancelled_at",
                "cancel_reason",
                "rescheduled_from__start",
            )
        )
        events = list(
            AppointmentEvent.objects.order_by(
                "at", "appointment__start", "appointment__booked_at", "kind"
            ).values_list("appointment__start", "kind", "at", "by__username", "reason")
        )
        blocked = list(ScheduleException.objects.order_by("start").values_list("start", "kind"))
        transaction.set_rollback(True)
    return {"visits": visits, "events": events, "blocked": blocked}


def test_the_same_seed_gives_the_same_history(db):
    first, second = _history(21), _history(21)

    assert len(first["visits"]) > 2000
    assert first == second


def test_another_seed_gives_another_history(db):
    one, other = _history(21), _history(22)

    assert one["blocked"][:5] != other["blocked"][:5] or one["visits"] != other["visits"]
    same = set(one["visits"]) & set(other["visits"])
    assert len(same) < len(one["visits"]) / 10
