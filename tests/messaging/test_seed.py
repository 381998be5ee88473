"""The demo practice's reminder history: there, varied, and the same for the same seed."""

from __future__ import annotations

from django.db import transaction

from medoffice.demo.seed import seed_practice
from medoffice.messaging.models import CallbackRequest, Message, ReminderRule

TINY = {"providers": 1, "patients": 80, "years": 1}


def _messages(seed: int) -> dict:
    with transaction.atomic():
        seed_practice(seed=seed, payments=False, **TINY)
        rows = list(
            Message.objects.order_by(
                "scheduled_for", "patient__mrn", "rule__minutes_before"
            ).values_list(
                "patient__mrn",
                "appointment__start",
                "rule__minutes_before",
                "channel",
                "status",
                "scheduled_for",
                "provider_message_id",
                "idempotency_key",
                "body",
            )
        )
        statuses = set(Message.objects.values_list("status", flat=True))
        rules = ReminderRule.objects.count()
        callbacks = CallbackRequest.objects.count()
        transaction.set_rollback(True)
    return {"rows": rows, "statuses": statuses, "rules": rules, "callbacks": callbacks}


def test_the_demo_has_a_reminder_history_and_the_same_seed_repeats_it(db):
    first = _messages(5)
    assert len(first["rows"]) > 100
    assert first["rules"] >= 6
    assert {"delivered", "queued", "failed"} <= first["statuses"]
    assert first == _messages(5)
