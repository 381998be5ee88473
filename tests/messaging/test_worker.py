"""Sends go through the background worker, exactly once: claims never overlap, a message a dead
worker left half-done is sent again with the same idempotency key and delivered once."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medoffice.messaging import channels
from medoffice.messaging.gateways import Outgoing, gateway_for
from medoffice.messaging.models import Message
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import queue_message
from medoffice.messaging.services.sending import claim_due, send_due_messages
from medoffice.messaging.services.setup import add_reminder_rule
from medoffice.messaging.tasks import ensure_messaging_clock, messaging_clock, start_senders
from medoffice.scheduling.services import cancel_appointment
from tests.messaging.conftest import at

ROOT = Path(__file__).resolve().parents[2]


def _a_tuesday_ahead() -> dt.date:
    day = timezone.localdate() + dt.timedelta(days=14)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def _rule_due_now(office, visit, make_user):
    """A rule whose reminder for ``visit`` fell due a moment ago."""
    minutes = int((visit.start - timezone.now()).total_seconds() // 60) + 1
    return add_reminder_rule(
        actor=make_user("office_manager"),
        appointment_type=office["types"]["follow_up"],
        minutes_before=minutes,
    )


def run_worker():
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


@pytest.fixture(autouse=True)
def _always_daytime(settings):
    settings.MESSAGING_QUIET_HOURS = "off"


@pytest.fixture
def due_texts(make_patient):
    def make(count: int) -> list[Message]:
        made = []
        for i in range(count):
            patient = make_patient(
                first_name=f"P{i:03d}",
                phone_mobile=f"217555{i:04d}",
                contact_hours_start=dt.time(0, 0),
                contact_hours_end=dt.time(23, 59),
            )
            made.append(
                queue_message(
                    patient=patient,
                    route=channels.routes_for(patient)[0],
                    purpose="recall",
                    values=values_for(patient),
                    planned_for=timezone.now() - dt.timedelta(seconds=5),
                )
            )
        return made

    return make


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_every_due_message_once(sms_provider, due_texts):
    messages = due_texts(120)
    assert start_senders() == 2
    run_worker()
    assert Message.objects.filter(status="sent").count() == 120
    assert len(sms_provider.state.deliveries) == 120
    assert sms_provider.state.requests == 120
    ids = set(Message.objects.values_list("provider_message_id", flat=True))
    assert ids == {d["id"] for d in sms_provider.state.deliveries}
    assert {str(m.idempotency_key) for m in messages} == set(sms_provider.state.by_key)


@pytest.mark.django_db(transaction=True)
def test_claims_do_not_overlap(due_texts):
    due_texts(30)
    first = claim_due(limit=20)
    second = claim_due(limit=20)
    assert len(first) == 20 and len(second) == 10
    assert not {m.pk for m in first} & {m.pk for m in second}
    assert claim_due(limit=20) == []


@pytest.mark.django_db(transaction=True)
def test_a_worker_that_died_mid_batch_is_finished_by_another_without_double_sends(
    sms_provider, due_texts, settings
):
    due_texts(10)
    # A worker claims ten, gets five to the provider, and dies before recording anything.
    claimed = claim_due(limit=10)
    gateway = gateway_for("sms")
    for message in claimed[:5]:
        gateway.send(
            Outgoing(
                to=message.to_address,
                subject="",
                body=message.body,
                idempotency_key=str(message.idempotency_key),
            )
        )
    assert Message.objects.filter(status="sending").count() == 10
    # Within the lease nobody touches them ...
    send_due_messages()
    assert Message.objects.filter(status="sending").count() == 10
    # ... after it, the next worker takes them up.
    settings.MESSAGING_MESSAGE_LEASE = "60"
    send_due_messages(clock=lambda: timezone.now() + dt.timedelta(minutes=2))
    assert Message.objects.filter(status="sent").count() == 10
    state = sms_provider.state
    assert len(state.deliveries) == 10  # none twice, none skipped
    assert state.requests == 15  # the five sent before the crash were asked for again ...
    assert sorted(state.key_requests.values()) == [1] * 5 + [2] * 5  # ... under the same key
    for message in claimed[:5]:
        message.refresh_from_db()
        assert message.provider_message_id == state.by_key[str(message.idempotency_key)]["id"]
        assert message.attempts == 2


@pytest.mark.django_db(transaction=True)
def test_killing_a_real_worker_mid_batch_and_restarting_it(tmp_path):
    """The benchmark's kill-and-restart check, small, on its own SQLite file."""
    env = {
        **os.environ,
        "MEDOFFICE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'reminders.sqlite3'}",
    }
    got = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "reminders_delivery.py"),
            "--messages",
            "400",
            "--kill-after",
            "120",
            "--lease",
            "2",
            "--timeout",
            "120",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert got.returncode == 0, got.stdout + got.stderr
    assert "killed worker 1" in got.stdout
    assert "final statuses: {'sent': 400}" in got.stdout
    assert "400 texts delivered" in got.stdout
    assert "sent once each, none skipped: yes" in got.stdout


@pytest.mark.django_db(transaction=True)
def test_the_clock_plans_reminders_and_the_worker_sends_them(
    sms_provider, office, book, patient, make_user
):
    patient.contact_hours_start, patient.contact_hours_end = dt.time(0, 0), dt.time(23, 59)
    patient.save()
    visit = book(patient, at(_a_tuesday_ahead(), "10:00"))
    _rule_due_now(office, visit, make_user)
    assert ensure_messaging_clock() is True
    assert ensure_messaging_clock() is False  # one round waiting is enough
    run_worker()
    message = Message.objects.get(appointment=visit)
    assert message.status == "sent"  # the rule's time is now
    assert sms_provider.state.delivered_to("2175550142")[0]["Body"] == message.body
    waiting = DBTaskResult.objects.filter(task_path=messaging_clock.module_path, status="READY")
    assert waiting.count() == 1 and waiting.get().run_after > timezone.now()


@pytest.mark.django_db(transaction=True)
def test_a_reminder_for_a_visit_cancelled_meanwhile_is_not_sent(
    sms_provider, office, book, patient, make_user, front_desk
):
    from medoffice.messaging.services.reminders import plan_reminders

    patient.contact_hours_start, patient.contact_hours_end = dt.time(0, 0), dt.time(23, 59)
    patient.save()
    visit = book(patient, at(_a_tuesday_ahead(), "10:00"))
    _rule_due_now(office, visit, make_user)
    plan_reminders()
    # Claimed by a sender before the cancellation lands: the send-time check stops it.
    claimed = claim_due(limit=5)
    cancel_appointment(actor=front_desk, appointment=visit, reason="feeling better")
    from medoffice.messaging.services.sending import deliver

    deliver(claimed[0])
    claimed[0].refresh_from_db()
    assert claimed[0].status == "cancelled" and claimed[0].error == "the visit was cancelled"
    assert sms_provider.state.requests == 0


@pytest.mark.django_db(transaction=True)
def test_the_messaging_command_starts_the_clock_once(capsys):
    call_command("messaging", "start")
    call_command("messaging", "start")
    out = capsys.readouterr().out
    assert "is booked" in out and "already running" in out
    assert DBTaskResult.objects.filter(task_path=messaging_clock.module_path).count() == 1
