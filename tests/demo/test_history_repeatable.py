"""The same seed gives the same schedule history (on the same day); another seed another one."""

from __future__ import annotations

import pytest
from django.db import transaction

from medoffice.demo.seed import seed_practice
from medoffice.scheduling.models import Appointment, AppointmentEvent, ScheduleException

TINY = {"providers": 1, "patients": 60, "years": 1}
pytestmark = pytest.mark.django_db


def _history(seed: int) -> dict:
    """Seed a tiny practice, read back its schedule by natural keys, and roll it all back."""
    with transaction.atomic():
        seed_practice(seed=seed, payments=False, **TINY)
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


@pytest.fixture(scope="module")
def histories(django_db_setup, django_db_blocker) -> dict[str, dict]:
    """Seed 21 twice and seed 22 once (each rolled back), shared by the tests below."""
    with django_db_blocker.unblock():
        return {"first": _history(21), "again": _history(21), "other": _history(22)}


def test_the_same_seed_gives_the_same_history(histories):
    first, second = histories["first"], histories["again"]

    assert len(first["visits"]) > 2000
    assert first == second


def test_another_seed_gives_another_history(histories):
    one, other = histories["first"], histories["other"]

    assert one["blocked"][:5] != other["blocked"][:5] or one["visits"] != other["visits"]
    same = set(one["visits"]) & set(other["visits"])
    assert len(same) < len(one["visits"]) / 10
