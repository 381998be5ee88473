"""Booking from an empty slot of the day view, and the appointment panel with its actions:
confirm, check in, room, with provider, check out, no-show, cancel, reschedule.

With htmx the booking form and the panel answer as fragments (a refusal with
the service's 409/422 status and its message on the field); without
JavaScript they are ordinary pages. Every answer that shows the patient
writes the PHI access log.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from medoffice.core.audit import CREATE, UPDATE, VIEW, client_address, record_access
from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling import day_view
from medoffice.scheduling.forms import (
    BookingForm,
    CancelForm,
    RescheduleForm,
    ScheduleFilterForm,
    StepForm,
    parse_clock,
)
from medoffice.scheduling.models import Appointment, Room
from medoffice.scheduling.selectors import appointment_history, local_to_utc, location_today
from medoffice.scheduling.services import (
    book_appointment,
    book_series,
    cancel_appointment,
    confirm_appointment,
    record_flow_step,
    reschedule_appointment,
)
from medoffice.scheduling.services.checks import covers
from medoffice.scheduling.views_schedule import (
    BOOK_PERM,
    BOOKING_ROLES,
    CHANGE_PERM,
    FLOW_ROLES,
    VIEW_PERM,
    may_book,
    may_move,
    no_location,
    query_string,
    role_required,
)

SCHEDULE_CHANGED = "scheduleChanged"
MAX_ID = 2**63 - 1
PATIENT_MATCHES = 8

# Service field names -> the booking form's fields.
BOOKING_FIELDS = {
    "start": "time",
    "interval_weeks": "repeat_weeks",
    "count": "repeat_count",
    "until": "repeat_until",
    "end": "time",
    "patient": "patient",
    "provider": "provider",
    "location": "provider",
    "appointment_type": "appointment_type",
    "room": "room",
    "notes": "notes",
    "overbook_reason": "overbook_reason",
}
STEP_DONE = {
    Appointment.ARRIVED: "Checked in",
    Appointment.ROOMED: "Roomed",
    Appointment.WITH_PROVIDER: "With the provider",
    Appointment.CHECKED_OUT: "Checked out",
    Appointment.NO_SHOW: "Marked as a no-show",
    Appointment.LEFT_WITHOUT_BEING_SEEN: "Marked as left without being seen",
}


def _log_appointment(request, appt: Appointment, *, action: str = VIEW, detail: str = ""):
    record_access(
        user=request.user,
        action=action,
        object_type="appointment",
        object_id=appt.pk,
        patient_id=appt.patient_id,
        ip_address=client_address(request),
        detail=detail,
    )


# --- booking from a slot --------------------------------------------------------------


def _int_param(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def _booking_context(form: BookingForm, location: Location, *, provider=None, **extra) -> dict:
    day = form.initial.get("date") or (form.data.get("date") if form.is_bound else "")
    return {
        "form": form,
        "location": location,
        "provider": provider,
        "day_url": reverse("schedule_day") + query_string({"location": location.pk, "date": day}),
        **extra,
    }


@login_required
@role_required(BOOKING_ROLES, BOOK_PERM, "book visits")
def schedule_book(request):
    """The booking form for an empty slot (GET), and the booking itself (POST)."""
    if request.method == "POST":
        return _book(request)
    locations = day_view.schedule_locations()
    location = day_view.pick_location(
        request.user, locations, _int_param(request.GET.get("location"))
    )
    if location is None:
        return no_location(request)
    filters = ScheduleFilterForm({"date": request.GET.get("date", "")})
    day = filters.value("date") or location_today(location)
    start_time = parse_clock(request.GET.get("time")) or dt.time(9, 0)
    providers = day_view.location_providers(location)
    provider = next(
        (p for p in providers if p.pk == _int_param(request.GET.get("provider"))),
        providers[0] if providers else None,
    )
    block = None
    if provider is not None:
        block = day_view.covering_block(
            provider=provider,
            location=location,
            day=day,
            minute=day_view.time_minutes(start_time),
            minutes=day_view.DEFAULT_STEP,
        )
    types = day_view.bookable_types(block)
    room_id = _int_param(request.GET.get("room"))
    form = BookingForm(
        location=location,
        types=types,
        initial={
            "location": location.pk,
            "provider": provider.pk if provider else None,
            "date": day,
            "time": start_time,
            "room": room_id,
            "allow_outside_template": block is None,
            "appointment_type": types[0].pk if len(types) == 1 else None,
        },
    )
    context = _booking_context(
        form, location, provider=provider, block=block, outside=provider is not None and not block
    )
    template = "scheduling/_booking_form.html" if request.htmx else "scheduling/book.html"
    return render(request, template, context)


def _book(request):
    location = day_view.pick_location(
        request.user, day_view.schedule_locations(), _int_param(request.POST.get("location"))
    )
    if location is None:
        return no_location(request)
    form = BookingForm(request.POST, location=location)
    template = "scheduling/_booking_form.html" if request.htmx else "scheduling/book.html"
    valid = form.is_valid()
    data = form.cleaned_data
    patient_id = data.get("patient") or _int_param(request.POST.get("patient"))
    patient = _patient_or_none(patient_id) if patient_id else None

    def refuse(status: int):
        context = _booking_context(form, location, provider=data.get("provider"), chosen=patient)
        return render(request, template, context, status=status)

    if not valid:
        return refuse(422)
    if patient is None:
        form.add_error("patient", "There is no such patient; search again and choose one.")
        return refuse(422)
    common = {
        "actor": request.user,
        "patient": patient,
        "provider": data["provider"],
        "location": location,
        "appointment_type": data["appointment_type"],
        "start": local_to_utc(location, data["date"], data["time"]),
        "room": data["room"],
        "notes": data["notes"],
        "allow_outside_template": data["allow_outside_template"],
    }
    try:
        if data.get("repeat_weeks"):
            series = book_series(
                **common,
                interval_weeks=data["repeat_weeks"],
                count=data.get("repeat_count"),
                until=data.get("repeat_until"),
            )
            visits = list(series.appointments.order_by("start"))
        else:
            visits = [book_appointment(**common, overbook_reason=data["overbook_reason"])]
    except DomainError as exc:
        form.add_error(BOOKING_FIELDS.get(exc.field or ""), exc.message)
        return refuse(exc.status)
    appt = visits[0]
    for visit in visits:
        _log_appointment(request, visit, action=CREATE, detail="booked from the day view")
    message = (
        f"Booked {appt.patient_short_name} with {appt.provider.schedule_name} "
        f"on {appt.local_start:%a %b} {appt.local_start.day} at {appt.local_hours}"
    )
    if len(visits) > 1:
        last = visits[-1].local_start
        message += (
            f", and {len(visits) - 1} more visits through {last:%a %b} {last.day} {last.year}"
        )
    return _panel_response(request, appt.pk, message=message + ".", changed=True)


def _patient_or_none(pk: int):
    from medoffice.patients.models import Patient

    return Patient.objects.filter(pk=pk).first()


@login_required
@role_required(BOOKING_ROLES, BOOK_PERM, "book visits")
@permission_required("patients.view_patient", raise_exception=True)
def schedule_patient_search(request):
    """Matches for the booking form's patient search, as choices to pick one from."""
    from medoffice.patients.selectors import search_patients

    query = (request.GET.get("q") or "").strip()[:100]
    matches = search_patients(query=query, limit=PATIENT_MATCHES) if len(query) >= 2 else []
    if query:
        record_access(
            user=request.user,
            action=VIEW,
            object_type="patient list",
            object_id="",
            ip_address=client_address(request),
            detail=f"booking search: {query}",
        )
    return render(
        request,
        "scheduling/_patient_choices.html",
        {"matches": matches, "query": query, "chosen": _int_param(request.GET.get("patient"))},
    )


# --- the appointment panel ------------------------------------------------------------


def _appointment(pk: int) -> Appointment:
    appt = (
        Appointment.objects.select_related(
            "patient", "provider", "location", "room", "appointment_type", "booked_by"
        )
        .filter(pk=pk)
        .first()
    )
    if appt is None:
        raise Http404("There is no such appointment.")
    return appt


def _insurance_line(appt: Appointment) -> tuple[str, bool]:
    """(what the desk reads about the visit's insurance, whether it needs a look)."""
    from medoffice.patients.selectors import coverage_for

    day = appt.local_start.date()
    if appt.coverage_id:
        coverage = appt.coverage
        chosen = "chosen for this visit"
    else:
        coverage = coverage_for(appt.patient_id, on=day)
        chosen = "primary"
    if coverage is None:
        return (f"No active coverage on {day:%m/%d/%Y}: self-pay unless updated", True)
    if not covers(coverage, appt.location, appt.start):
        return (f"{coverage.payer.name} ({chosen}) does not cover {day:%m/%d/%Y}", True)
    return (f"{coverage.payer.name} ({chosen})", False)


def _panel_context(request, appt: Appointment, **extra) -> dict:
    now = timezone.now()
    user = request.user
    may_change = may_book(request)
    steps = set(appt.next_steps) if may_move(request) else set()
    if Appointment.NO_SHOW in steps and appt.start > now:
        steps.discard(Appointment.NO_SHOW)
    if Appointment.ARRIVED in steps and appt.local_start.date() != location_today(appt.location):
        steps.discard(Appointment.ARRIVED)
    in_office = appt.status in Appointment.IN_OFFICE_STATUSES
    since = appt.status_since if in_office else None
    rooms = (
        list(Room.objects.filter(location=appt.location, active=True).order_by("name"))
        if Appointment.ROOMED in steps
        else []
    )
    booked = appt.status in Appointment.BOOKED_STATUSES and may_change
    reschedule = extra.pop("reschedule_form", None) or RescheduleForm(
        location=appt.location,
        initial={
            "date": appt.local_start.date(),
            "time": appt.local_start.time(),
            "provider": appt.provider_id,
        },
    )
    patient = appt.patient
    return {
        "appt": appt,
        "patient": patient,
        "insurance": _insurance_line(appt),
        "phone": patient.phone_mobile or patient.phone_home,
        "status_label": Appointment.STATUS_LABELS.get(appt.status, appt.status),
        "type_colour": day_view.safe_colour(appt.appointment_type.colour),
        "steps": steps,
        "rooms": rooms,
        "may_confirm": may_change and appt.status == Appointment.SCHEDULED,
        "may_cancel": booked,
        "may_reschedule": booked,
        "since": since,
        "minutes": day_view.minutes_between(since, now) if since else None,
        "level": day_view.wait_level(day_view.minutes_between(since, now)) if since else "",
        "history": list(appointment_history(appt).order_by("at", "id")),
        "status_labels": Appointment.STATUS_LABELS,
        "cancel_form": extra.pop("cancel_form", None) or CancelForm(),
        "reschedule_form": reschedule,
        "may_open_patient": user.has_perm("patients.view_patient"),
        "day_url": reverse("schedule_day")
        + query_string({"location": appt.location_id, "date": appt.local_start.date()}),
        "now": now,
        **extra,
    }


def _panel_response(request, pk: int, *, message="", error=None, changed=False, **forms):
    """The appointment panel after an action: a fragment for htmx, else back to its page."""
    appt = _appointment(pk)
    if not request.htmx:
        if error is not None:
            messages.error(request, error.message)
        elif message:
            messages.success(request, message)
        return redirect("schedule_appointment", pk=appt.pk)
    if not changed:  # a change was logged as such by the caller
        _log_appointment(request, appt, detail="panel")
    context = _panel_context(request, appt, message=message, error=error, **forms)
    response = render(
        request,
        "scheduling/_appointment_panel.html",
        context,
        status=error.status if error is not None else 200,
    )
    if changed:
        response["HX-Trigger"] = SCHEDULE_CHANGED
    return response


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def schedule_appointment(request, pk: int):
    """One appointment: patient, times, type, room, status history and the next actions."""
    appt = _appointment(pk)
    _log_appointment(request, appt)
    context = _panel_context(request, appt)
    template = (
        "scheduling/_appointment_panel.html" if request.htmx else "scheduling/appointment.html"
    )
    return render(request, template, context)


def _act(request, pk: int, action, done: str, **forms):
    """Run a service call for the appointment; answer with the panel (message or error)."""
    try:
        action()
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        return _panel_response(request, pk, error=exc, **forms)
    appt = _appointment(pk)
    _log_appointment(request, appt, action=UPDATE, detail=done)
    return _panel_response(request, pk, message=f"{done}.", changed=True)


@require_POST
@login_required
@role_required(BOOKING_ROLES, CHANGE_PERM, "change bookings")
def appointment_confirm(request, pk: int):
    return _act(
        request,
        pk,
        lambda: confirm_appointment(actor=request.user, appointment=pk, via="front desk"),
        "Confirmed",
    )


@require_POST
@login_required
@role_required(FLOW_ROLES, CHANGE_PERM, "record patient flow")
def appointment_step(request, pk: int):
    appt = _appointment(pk)
    form = StepForm(request.POST, location=appt.location)
    if not form.is_valid():
        problem = next(iter(form.errors.values()))[0]
        error = DomainError(
            "invalid", f"That step cannot be recorded: {problem}", "step", status=422
        )
        return _panel_response(request, pk, error=error)
    step = form.cleaned_data["step"]
    room = form.cleaned_data["room"] if step == Appointment.ROOMED else None
    done = STEP_DONE[step]
    if room is not None:
        done = f"{done} in {room.name}"
    return _act(
        request,
        pk,
        lambda: record_flow_step(
            actor=request.user,
            appointment=pk,
            step=step,
            room=room,
            reason=form.cleaned_data["reason"],
        ),
        done,
    )


@require_POST
@login_required
@role_required(BOOKING_ROLES, CHANGE_PERM, "change bookings")
def appointment_cancel(request, pk: int):
    form = CancelForm(request.POST)
    if not form.is_valid():
        error = DomainError(
            "reason_required", "Say why the appointment is cancelled.", "reason", status=422
        )
        return _panel_response(request, pk, error=error, cancel_form=form)
    reason = form.cleaned_data["reason"]
    return _act(
        request,
        pk,
        lambda: cancel_appointment(actor=request.user, appointment=pk, reason=reason),
        "Cancelled",
        cancel_form=form,
    )


@require_POST
@login_required
@role_required(BOOKING_ROLES, CHANGE_PERM, "change bookings")
def appointment_reschedule(request, pk: int):
    appt = _appointment(pk)
    form = RescheduleForm(request.POST, location=appt.location)
    if not form.is_valid():
        field, problems = next(iter(form.errors.items()))
        label = form.fields[field].label if field in form.fields else ""
        error = DomainError(
            "invalid", f"{label}: {problems[0]}" if label else problems[0], field, status=422
        )
        return _panel_response(request, pk, error=error, reschedule_form=form)
    data = form.cleaned_data
    try:
        new = reschedule_appointment(
            actor=request.user,
            appointment=pk,
            start=local_to_utc(appt.location, data["date"], data["time"]),
            provider=data["provider"],
            allow_outside_template=data["allow_outside_template"],
            reason=data["reason"],
        )
    except DomainError as exc:
        if exc.status == 404:
            raise Http404(exc.message) from None
        return _panel_response(request, pk, error=exc, reschedule_form=form)
    _log_appointment(request, new, action=UPDATE, detail=f"rescheduled from appointment {pk}")
    message = (
        f"Moved to {new.local_start:%a %b} {new.local_start.day}, {new.local_hours} "
        f"with {new.provider.schedule_name}."
    )
    return _panel_response(request, new.pk, message=message, changed=True)
