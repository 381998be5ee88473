"""Reminders follow the schedule: computed from each visit's current state, never pushed to us.

``plan_reminders`` (every round of the messaging clock) queues the reminders the
rules call for on every booked visit ahead that lacks them, and cancels the
queued ones whose visit was cancelled or moved (a moved visit is a new
appointment: it gets its own reminders, at its new time). ``sync_reminders_for``
does the same for one visit at once. The sender checks the visit again at send
time, so nothing goes out for a visit that changed in between.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from medoffice.messaging import channels
from medoffice.messaging.models import Message, OptOut, ReminderRule
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import cancel_message, queue_message
from medoffice.messaging.templating import REMINDER
from medoffice.scheduling.models import Appointment

# A reminder whose time passed longer ago than this is not sent late (e.g. a visit booked
# tomorrow gets no "7 days before" reminder).
TOO_LATE = dt.timedelta(minutes=30)
CHUNK = 500
# Reminders are queued this long before their time, so the log shows what is coming.
LOOK_AHEAD = dt.timedelta(days=1)


@dataclass
class PlanReport:
    queued: int = 0
    cancelled: int = 0
    no_channel: int = 0
    too_late: int = 0
    messages: list[Message] = field(default_factory=list)


def why_stale(appointment: Appointment, now: dt.datetime) -> str | None:
    """Why a reminder for this visit should no longer go, or None when it still should."""
    if appointment.status == Appointment.CANCELLED:
        moved_to = Appointment.objects.filter(rescheduled_from_id=appointment.pk).first()
        if moved_to is not None:
            local = moved_to.local_start
            return f"the visit was moved to {local:%a %b} {local.day} {local:%H:%M}"
        return "the visit was cancelled"
    if appointment.status not in Appointment.BOOKED_STATUSES:
        return f"the visit is {appointment.get_status_display().lower()}"
    if appointment.start <= now:
        return "the visit's time has passed"
    return None


def _rules_by_type() -> dict[int, list[ReminderRule]]:
    rules: dict[int, list[ReminderRule]] = {}
    for rule in ReminderRule.objects.filter(active=True, appointment_type__active=True):
        rules.setdefault(rule.appointment_type_id, []).append(rule)
    return rules


def _plan_for(
    appointment: Appointment,
    rules: list[ReminderRule],
    existing: set[tuple[int, int]],
    opted: dict[int, set[str]],
    now: dt.datetime,
    report: PlanReport,
) -> None:
    for rule in rules:
        if (appointment.pk, rule.pk) in existing:
            continue
        planned = appointment.start - dt.timedelta(minutes=rule.minutes_before)
        if planned < now - TOO_LATE:
            report.too_late += 1
            continue
        routes = channels.routes_for(
            appointment.patient, opted_out=opted.get(appointment.patient_id, ())
        )
        if not routes:
            report.no_channel += 1
            continue
        try:
            with transaction.atomic():
                message = queue_message(
                    patient=appointment.patient,
                    route=routes[0],
                    purpose=REMINDER,
                    values=values_for(appointment.patient, appointment=appointment),
                    planned_for=planned,
                    appointment=appointment,
                    rule=rule,
                    note=f"{rule.offset_display} before the visit",
                    now=now,
                )
        except IntegrityError:
            continue  # planned at the same moment by another worker
        if message is not None:
            report.queued += 1
            report.messages.append(message)


def _cancel_stale(queryset, now: dt.datetime, report: PlanReport) -> None:
    for message in queryset.select_related("appointment__location"):
        if message.appointment_id is None:
            continue
        why = why_stale(message.appointment, now)
        if message.rule_id and not message.rule.active:
            why = why or "the reminder rule was switched off"
        if why and cancel_message(message, reason=why, now=now):
            report.cancelled += 1


def plan_reminders(*, now: dt.datetime | None = None) -> PlanReport:
    """Queue the reminders every booked visit ahead is due, and cancel those no longer due."""
    now = now or timezone.now()
    report = PlanReport()
    rules = _rules_by_type()
    if rules:
        longest = max(r.minutes_before for group in rules.values() for r in group)
        horizon = now + dt.timedelta(minutes=longest) + LOOK_AHEAD
        ids = list(
            Appointment.objects.filter(
                status__in=Appointment.BOOKED_STATUSES,
                start__gt=now,
                start__lte=horizon,
                appointment_type_id__in=rules.keys(),
            )
            .order_by("start")
            .values_list("pk", flat=True)
        )
        for i in range(0, len(ids), CHUNK):
            _plan_chunk(ids[i : i + CHUNK], rules, now, report)
    stale = Message.objects.filter(status=Message.QUEUED, purpose=REMINDER).exclude(
        appointment__status__in=Appointment.BOOKED_STATUSES, rule__active=True
    )
    _cancel_stale(stale.select_related("rule"), now, report)
    return report


def _plan_chunk(ids, rules, now, report) -> None:
    appointments = list(
        Appointment.objects.filter(pk__in=ids).select_related(
            "patient", "provider", "location__practice"
        )
    )
    existing = set(
        Message.objects.filter(
            appointment_id__in=ids, rule__isnull=False, fallback_of__isnull=True
        ).values_list("appointment_id", "rule_id")
    )
    wanted = [
        a
        for a in appointments
        if any((a.pk, r.pk) not in existing for r in rules[a.appointment_type_id])
    ]
    opted: dict[int, set[str]] = {}
    for patient_id, channel in OptOut.objects.filter(
        patient_id__in={a.patient_id for a in wanted}, ended_at__isnull=True
    ).values_list("patient_id", "channel"):
        opted.setdefault(patient_id, set()).add(channel)
    for appointment in wanted:
        _plan_for(appointment, rules[appointment.appointment_type_id], existing, opted, now, report)


def sync_reminders_for(appointment: Appointment | int, *, now=None) -> PlanReport:
    """Bring one visit's reminders in line with it now: queue the missing ones if it is booked,
    cancel the queued ones if it was cancelled or moved."""
    now = now or timezone.now()
    pk = appointment.pk if isinstance(appointment, Appointment) else appointment
    appt = Appointment.objects.select_related("patient", "provider", "location__practice").get(
        pk=pk
    )
    report = PlanReport()
    _cancel_stale(
        Message.objects.filter(appointment=appt, status=Message.QUEUED).select_related("rule"),
        now,
        report,
    )
    if why_stale(appt, now) is None:
        rules = _rules_by_type().get(appt.appointment_type_id, [])
        existing = set(
            Message.objects.filter(
                appointment=appt, rule__isnull=False, fallback_of__isnull=True
            ).values_list("appointment_id", "rule_id")
        )
        opted = {
            appt.patient_id: set(
                OptOut.objects.filter(
                    patient_id=appt.patient_id, ended_at__isnull=True
                ).values_list("channel", flat=True)
            )
        }
        _plan_for(appt, rules, existing, opted, now, report)
    return report


def longest_rule_minutes() -> int:
    return ReminderRule.objects.filter(active=True).aggregate(m=Max("minutes_before"))["m"] or 0
