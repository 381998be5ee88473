"""Recalls: rules per visit type, and the bulk message asking due patients to book."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from medoffice.messaging import channels, errors
from medoffice.messaging.models import Message, RecallRule
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import opted_out_channels, queue_message
from medoffice.messaging.templating import RECALL
from medoffice.patients.models import Patient
from medoffice.scheduling.models import AppointmentType

# A patient recalled this recently is not recalled again by a bulk send.
RECALL_AGAIN_AFTER = dt.timedelta(days=14)


@dataclass
class RecallReport:
    queued: int = 0
    no_channel: int = 0
    recently_recalled: int = 0


@transaction.atomic
def save_recall_rule(
    *, actor, appointment_type: AppointmentType, months_after: int, active: bool = True
) -> RecallRule:
    if not isinstance(months_after, int) or not 1 <= months_after <= 60:
        raise errors.invalid(
            errors.INVALID, "A recall comes 1 to 60 months after the last visit.", "months_after"
        )
    rule, _ = RecallRule.objects.update_or_create(
        appointment_type=appointment_type,
        defaults={"months_after": months_after, "active": active},
    )
    return rule


@transaction.atomic
def send_recalls(*, actor, patients: list[Patient], now: dt.datetime | None = None) -> RecallReport:
    """Queue a booking request to each patient on their channel (quiet hours kept)."""
    now = now or timezone.now()
    report = RecallReport()
    recent = set(
        Message.objects.filter(
            patient__in=patients, purpose=RECALL, created_at__gte=now - RECALL_AGAIN_AFTER
        ).values_list("patient_id", flat=True)
    )
    for patient in patients:
        if patient.pk in recent:
            report.recently_recalled += 1
            continue
        routes = channels.routes_for(patient, opted_out=opted_out_channels(patient))
        if not routes:
            report.no_channel += 1
            continue
        queue_message(
            patient=patient,
            route=routes[0],
            purpose=RECALL,
            values=values_for(patient),
            planned_for=now,
            actor=actor,
            note="recall: booking request",
            now=now,
        )
        report.queued += 1
    return report
