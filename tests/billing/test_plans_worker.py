"""The daily plan review runs in the background: `medoffice worker` starts it as it starts the
messaging clock, it books the next day's run at 06:00, and a second worker (or a restart, or
the plans page) the same day books nothing more."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medoffice.billing.services import plans
from medoffice.billing.tasks import REVIEW_AT, book_payment_plans_review, payment_plans_daily
from medoffice.messaging.models import Message
from medoffice.messaging.tasks import send_due_messages_task
from tests.billing.side_by_side import side_by_side
from tests.billing.test_patient_payments import visit_owing  # noqa: F401 - fixture
from tests.messaging.conftest import sms_provider  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.MESSAGING_QUIET_HOURS = "off"
    settings.MESSAGING_MESSAGING_CLOCK = "3600"  # the clock's next round stays out of the way


def reviews():
    return DBTaskResult.objects.filter(task_path=payment_plans_daily.module_path)


def tomorrow_at_six():
    day = timezone.localdate() + dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(day, REVIEW_AT))


def start_worker(tasks: int) -> None:
    """A worker as `medoffice worker` starts one, stopping after ``tasks`` tasks."""
    call_command("worker", "--interval", "0", "--max-tasks", str(tasks), verbosity=0)


@pytest.fixture
def plan_due_soon(make_patient, make_coverage, visit_owing, location, biller):  # noqa: F811
    patient = make_patient(
        contact_hours_start=dt.time(0, 0), contact_hours_end=dt.time(23, 59), home_location=location
    )
    make_coverage(patient=patient)
    visit_owing(patient, dt.date(2026, 2, 2), "90.00")
    first_due = timezone.localdate() + dt.timedelta(days=2)
    return plans.create_plan(
        patient=patient, total="90.00", installments=3, first_due=first_due, actor=biller
    )


def test_the_worker_starts_the_review_once_a_day(plan_due_soon, sms_provider):  # noqa: F811
    start_worker(2)  # the messaging clock's round and the plan review

    done = reviews().get(status="SUCCESSFUL")
    assert done.return_value["reminders_sent"] == 1
    assert Message.objects.filter(purpose="plan_due", patient=plan_due_soon.patient).count() == 1
    waiting = reviews().get(status="READY")
    assert waiting.run_after == tomorrow_at_six()

    # A second worker the same day books no second review; it runs what is due (a sender).
    send_due_messages_task.enqueue()
    start_worker(1)

    assert reviews().filter(status="SUCCESSFUL").count() == 1
    assert list(reviews().filter(status="READY")) == [waiting]
    message = Message.objects.get(purpose="plan_due")
    assert message.status == "sent"
    assert [d["Body"] for d in sms_provider.state.deliveries] == [message.body]


def test_booking_again_the_same_day_waits_for_tomorrow(plan_due_soon):
    assert book_payment_plans_review() is True
    assert book_payment_plans_review() is False  # one waiting is enough
    assert reviews().ready().count() == 1  # due now
    call_command("worker", "--batch", "--interval", "0", verbosity=0)
    # Tomorrow's run, lost somehow: a worker starting today books it for tomorrow, not now.
    reviews().filter(status="READY").delete()
    assert book_payment_plans_review() is True
    assert reviews().get(status="READY").run_after == tomorrow_at_six()
    # A run a dead worker left "running" yesterday does not count as today's.
    reviews().filter(status="READY").delete()
    reviews().update(status="RUNNING", started_at=timezone.now() - dt.timedelta(days=1))
    assert book_payment_plans_review() is True
    assert reviews().ready().count() == 1  # due now


def test_workers_starting_at_once_book_one_review():
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers only run side by side on PostgreSQL")
    booked = side_by_side(4, book_payment_plans_review)
    assert sorted(booked) == [False, False, False, True]
    assert reviews().count() == 1
