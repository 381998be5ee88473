"""Reads for messaging's pages and API: message logs, the failed queue, the call-back list,
recall lists and confirmation rates."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from medoffice.messaging.models import CallbackRequest, Message, RecallRule
from medoffice.messaging.templating import RECALL, REMINDER
from medoffice.patients.models import Patient
from medoffice.scheduling.models import Appointment


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for last_day in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise ValueError(day)


def patients_due_for_recall(
    rule: RecallRule, *, now: dt.datetime | None = None
) -> QuerySet[Patient]:
    """Active patients whose last checked-out visit of the rule's type was at least
    ``months_after`` months ago and who have no visit of that type booked ahead; each with
    ``last_visit`` and ``last_recalled`` (the latest recall message to them), oldest first."""
    now = now or timezone.now()
    cutoff = dt.datetime.combine(
        months_before(timezone.localdate(now), rule.months_after), dt.time(0, 0), tzinfo=dt.UTC
    )
    visits = Appointment.objects.filter(
        patient=OuterRef("pk"), appointment_type_id=rule.appointment_type_id
    )
    last = visits.filter(status=Appointment.CHECKED_OUT).order_by("-start").values("start")[:1]
    booked = visits.filter(status__in=Appointment.BOOKED_STATUSES, start__gt=now)
    recalled = (
        Message.objects.filter(patient=OuterRef("pk"), purpose=RECALL)
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Patient.objects.filter(active=True, merged_into__isnull=True)
        .annotate(last_visit=Subquery(last))
        .filter(last_visit__isnull=False, last_visit__lt=cutoff)
        .annotate(booked=Exists(booked), last_recalled=Subquery(recalled))
        .filter(booked=False)
        .order_by("last_visit", "pk")
    )


def message_log(
    *,
    patient: Patient | int | None = None,
    day: dt.date | None = None,
    zone=None,
    q: str = "",
    status: str = "",
    channel: str = "",
) -> QuerySet[Message]:
    """Messages newest first, for one patient or one local day, searchable by name, address,
    words of the message or status."""
    rows = Message.objects.select_related("patient", "appointment")
    if patient is not None:
        rows = rows.filter(patient=patient)
    if day is not None:
        start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone or dt.UTC)
        rows = rows.filter(scheduled_for__gte=start, scheduled_for__lt=start + dt.timedelta(days=1))
    if status:
        rows = rows.filter(status=status)
    if channel:
        rows = rows.filter(channel=channel)
    for word in q.split()[:5]:
        rows = rows.filter(
            Q(patient__last_name__istartswith=word)
            | Q(patient__first_name__istartswith=word)
            | Q(to_address__icontains=word)
            | Q(body__icontains=word)
            | Q(provider_message_id=word)
        )
    return rows.order_by("-scheduled_for", "-pk")


def failed_queue(*, include_handled: bool = False) -> QuerySet[Message]:
    """Failed messages a person should look at (not replaced by a fallback that went)."""
    rows = Message.objects.filter(status=Message.FAILED).select_related("patient")
    rows = rows.exclude(fallback__status__in=[*Message.GONE_STATUSES, *Message.PENDING_STATUSES])
    if not include_handled:
        rows = rows.filter(handled_at__isnull=True)
    return rows.order_by("-failed_at", "-pk")


def callback_list(*, show: str = "open") -> QuerySet[CallbackRequest]:
    rows = CallbackRequest.objects.select_related("patient", "appointment", "handled_by")
    if show == "open":
        rows = rows.filter(handled_at__isnull=True).order_by("created_at", "pk")
    else:
        rows = rows.filter(handled_at__isnull=False).order_by("-handled_at", "-pk")
    return rows


def confirmation_rates(*, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Per channel: reminders sent for visits in the period, and how many of those visits were
    confirmed (by any means) and how many were no-shows."""
    rows = (
        Message.objects.filter(
            purpose=REMINDER,
            status__in=Message.GONE_STATUSES,
            appointment__start__gte=since,
            appointment__start__lt=until,
        )
        .values("channel")
        .annotate(
            visits=Count("appointment", distinct=True),
            confirmed=Count(
                "appointment",
                filter=Q(appointment__confirmed_at__isnull=False),
                distinct=True,
            ),
            no_shows=Count(
                "appointment", filter=Q(appointment__status=Appointment.NO_SHOW), distinct=True
            ),
            delivered=Count("pk", filter=Q(status=Message.DELIVERED)),
            sent=Count("pk"),
        )
        .order_by("channel")
    )
    result = []
    for row in rows:
        visits = row["visits"] or 0
        row["rate"] = round(100 * row["confirmed"] / visits, 1) if visits else 0.0
        row["no_show_rate"] = round(100 * row["no_shows"] / visits, 1) if visits else 0.0
        result.append(row)
    return result


def last_sent(patient_id: int) -> dt.datetime | None:
    return Message.objects.filter(patient_id=patient_id).aggregate(m=Max("sent_at"))["m"]
