"""Reminder rules per visit type; reminders follow the visit when it is cancelled or moved."""

from __future__ import annotations

import datetime as dt

import pytest

from medoffice.core.errors import DomainError
from medoffice.messaging.models import Message
from medoffice.messaging.services.reminders import plan_reminders, sync_reminders_for
from medoffice.messaging.services.setup import add_reminder_rule, set_rule_active
from medoffice.scheduling.services import cancel_appointment, reschedule_appointment
from tests.messaging.conftest import CHICAGO, at


@pytest.fixture
def rules(office, make_user):
    manager = make_user("office_manager")
    follow_up = office["types"]["follow_up"]
    return [
        add_reminder_rule(actor=manager, appointment_type=follow_up, minutes_before=m)
        for m in (7 * 1440, 2 * 1440, 120)
    ]


@pytest.mark.django_db
def test_each_rule_queues_one_reminder_at_its_time(rules, book, patient, visit_day):
    visit = book(patient, at(visit_day, "10:00"))
    report = plan_reminders(now=visit.start - dt.timedelta(days=7, hours=1))
    assert report.queued == 3
    times = sorted(
        m.scheduled_for.astimezone(CHICAGO) for m in Message.objects.filter(appointment=visit)
    )
    assert times == [
        at(visit_day - dt.timedelta(days=7), "10:00"),
        at(visit_day - dt.timedelta(days=2), "10:00"),
        at(visit_day, "8:00"),
    ]
    message = Message.objects.filter(appointment=visit).first()
    assert message.channel == "sms" and message.to_address == "2175550142"
    assert "Dr. Patel" in message.body and message.status == "queued"
    # Planning again adds nothing.
    assert plan_reminders(now=visit.start - dt.timedelta(days=7, hours=1)).queued == 0
    assert Message.objects.filter(appointment=visit).count() == 3


@pytest.mark.django_db
def test_reminders_already_past_are_not_sent_late(rules, book, patient, visit_day):
    visit = book(patient, at(visit_day, "10:00"))
    report = plan_reminders(now=visit.start - dt.timedelta(days=1))
    assert report.queued == 1 and report.too_late == 2


@pytest.mark.django_db
def test_a_two_hour_reminder_before_an_early_visit_moves_out_of_quiet_hours(
    rules, book, patient, visit_day
):
    visit = book(patient, at(visit_day, "8:00"))
    plan_reminders(now=visit.start - dt.timedelta(hours=3))
    message = Message.objects.get(appointment=visit)
    assert message.scheduled_for.astimezone(CHICAGO) == at(
        visit_day - dt.timedelta(days=1), "19:59"
    )
    assert message.planned_for.astimezone(CHICAGO) == at(visit_day, "6:00")
    assert "moved earlier" in message.events.get(kind="moved").detail


@pytest.mark.django_db
def test_cancelling_the_visit_cancels_its_pending_reminders(
    rules, book, patient, visit_day, front_desk
):
    visit = book(patient, at(visit_day, "10:00"))
    sync_reminders_for(visit, now=visit.start - dt.timedelta(days=7, hours=1))
    cancel_appointment(actor=front_desk, appointment=visit, reason="patient is travelling")
    report = plan_reminders(now=visit.start - dt.timedelta(days=7, hours=1))
    assert report.cancelled == 3
    for message in Message.objects.filter(appointment=visit):
        assert message.status == "cancelled"
        assert message.events.last().detail == "the visit was cancelled"


@pytest.mark.django_db
def test_moving_the_visit_moves_its_reminders(rules, book, patient, visit_day, front_desk):
    visit = book(patient, at(visit_day, "10:00"))
    sync_reminders_for(visit, now=visit.start - dt.timedelta(days=7, hours=1))
    moved = reschedule_appointment(
        actor=front_desk, appointment=visit, start=at(visit_day, "14:00")
    )
    sync_reminders_for(visit, now=visit.start - dt.timedelta(days=7, hours=1))
    sync_reminders_for(moved, now=visit.start - dt.timedelta(days=7, hours=1))
    old = Message.objects.filter(appointment=visit)
    assert {m.status for m in old} == {"cancelled"}
    assert "moved to" in old.first().error and "14:00" in old.first().error
    new_times = sorted(
        m.scheduled_for.astimezone(CHICAGO) for m in Message.objects.filter(appointment=moved)
    )
    assert new_times[-1] == at(visit_day, "12:00")


@pytest.mark.django_db
def test_switching_a_rule_off_cancels_its_queued_reminders(
    rules, book, patient, visit_day, make_user
):
    visit = book(patient, at(visit_day, "10:00"))
    plan_reminders(now=visit.start - dt.timedelta(days=7, hours=1))
    set_rule_active(actor=make_user("office_manager"), rule=rules[0], active=False)
    assert Message.objects.get(rule=rules[0]).status == "cancelled"
    assert Message.objects.filter(appointment=visit, status="queued").count() == 2


@pytest.mark.django_db
def test_a_patient_with_no_channel_gets_no_reminder(rules, book, make_patient, visit_day):
    quiet = make_patient(
        consent_sms=False,
        consent_sms_on=None,
        consent_email=False,
        consent_email_on=None,
        preferred_contact="mail",
    )
    visit = book(quiet, at(visit_day, "10:00"))
    report = plan_reminders(now=visit.start - dt.timedelta(days=7, hours=1))
    assert report.queued == 0 and report.no_channel == 3


@pytest.mark.django_db
def test_the_same_rule_twice_is_refused(rules, office, make_user):
    with pytest.raises(DomainError) as refused:
        add_reminder_rule(
            actor=make_user("office_manager"),
            appointment_type=office["types"]["follow_up"],
            minutes_before=120,
        )
    assert refused.value.code == "duplicate" and "2 hours" in refused.value.message
