"""Recalls: patients due for their annual visit with nothing booked, and the bulk message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from medoffice.messaging.models import Message
from medoffice.messaging.selectors import months_before, patients_due_for_recall
from medoffice.messaging.services.recalls import save_recall_rule, send_recalls
from medoffice.scheduling.models import Appointment


@pytest.fixture
def annual(office, make_user):
    return save_recall_rule(
        actor=make_user("office_manager"),
        appointment_type=office["types"]["follow_up"],
        months_after=12,
    )


def past_visit(office, patient, months_ago: int, status=Appointment.CHECKED_OUT):
    """A visit in the history (written directly, as the seed's history is)."""
    start = timezone.now() - dt.timedelta(days=30 * months_ago, hours=patient.pk)
    return Appointment.objects.create(
        patient=patient,
        provider=office["provider"],
        location=office["location"],
        appointment_type=office["types"]["follow_up"],
        start=start,
        end=start + dt.timedelta(minutes=20),
        status=status,
        checked_out_at=start if status == Appointment.CHECKED_OUT else None,
    )


@pytest.mark.django_db
def test_due_patients_are_those_past_the_interval_with_nothing_booked(
    annual, office, make_patient, book, visit_day
):
    from tests.messaging.conftest import at

    due = make_patient(first_name="Due")
    past_visit(office, due, 14)
    recent = make_patient(first_name="Recent")
    past_visit(office, recent, 6)
    booked = make_patient(first_name="Booked")
    past_visit(office, booked, 14)
    book(booked, at(visit_day, "9:00"))
    never = make_patient(first_name="Never")  # noqa: F841 - no visit of that type at all
    assert [p.first_name for p in patients_due_for_recall(annual)] == ["Due"]


@pytest.mark.django_db
def test_bulk_recall_queues_a_booking_request_once(annual, office, make_patient, make_user):
    manager = make_user("office_manager")
    texted = make_patient(first_name="Texted")
    past_visit(office, texted, 13)
    unreachable = make_patient(
        first_name="Unreachable",
        consent_sms=False,
        consent_sms_on=None,
        consent_email=False,
        consent_email_on=None,
        preferred_contact="mail",
    )
    past_visit(office, unreachable, 13)
    due = list(patients_due_for_recall(annual))
    report = send_recalls(actor=manager, patients=due)
    assert (report.queued, report.no_channel) == (1, 1)
    message = Message.objects.get(purpose="recall")
    assert message.patient == texted and "due for a visit" in message.body
    assert "(217) 555-0100" in message.body and message.created_by == manager
    again = send_recalls(actor=manager, patients=list(patients_due_for_recall(annual)))
    assert again.queued == 0 and again.recently_recalled == 1
    assert patients_due_for_recall(annual).get(pk=texted.pk).last_recalled is not None


def test_months_before_keeps_to_the_month_end():
    assert months_before(dt.date(2026, 3, 31), 1) == dt.date(2026, 2, 28)
    assert months_before(dt.date(2026, 1, 15), 12) == dt.date(2025, 1, 15)
