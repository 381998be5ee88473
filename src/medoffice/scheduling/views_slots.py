"""The "Next available" page: the open-slot finder for the front desk, and booking a slot.

Next available: the front desk describes the visit (type, providers or any,
location or any, from which day, which days and times) and gets the first
open slots, live as the options change (htmx answers with the finder block
only). Each slot has a Book button that asks for the patient and books
through ``book_appointment``; a slot taken meanwhile comes back as the
service's message above the refreshed list.

The waitlist pages live in :mod:`.views_waitlist`. Every page that shows
patients writes the PHI access log.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from medoffice.core.audit import CREATE, VIEW, client_address, record_access
from medoffice.core.errors import DomainError
from medoffice.core.roles import roles_of
from medoffice.patients.models import Patient
from medoffice.patients.selectors import search_patients
from medoffice.scheduling import errors
from medoffice.scheduling.api.common import BOOKING_ROLES
from medoffice.scheduling.forms_slots import (
    NextAvailableForm,
    SlotForm,
    active_locations,
)
from medoffice.scheduling.models.availability import hhmm
from medoffice.scheduling.services import book_appointment
from medoffice.scheduling.slots import DEFAULT_DAYS, MAX_WINDOW_DAYS, open_slots

FIND_PERM = "scheduling.add_appointment"
BOOK_PERM = "scheduling.add_appointment"
WAITLIST_ADD = "scheduling.add_waitlistentry"
PATIENT_MATCHES = 8
# The finder's argument names -> the page's fields.
FINDER_FIELDS = {
    "start": "from_date",
    "end": "to_date",
    "appointment_type": "appointment_type",
    "preferred_weekdays": "weekdays",
    "preferred_times": "time_to",
    "limit": "limit",
}
# The booking service's field names -> the booking form's.
BOOKING_FIELDS = {"patient": "patient", "notes": "notes"}


def may(request, perm: str) -> bool:
    """The permission, held by a role that books (medical assistants hold scheduling.* too)."""
    if not request.user.has_perm(perm):
        return False
    cached = getattr(request, "_slot_roles", None)
    if cached is None:
        cached = request._slot_roles = roles_of(request.user)
    return bool(cached & BOOKING_ROLES)


def require(request, perm: str, doing: str, *, booking_role: bool = False) -> None:
    allowed = may(request, perm) if booking_role else request.user.has_perm(perm)
    if not allowed:
        raise PermissionDenied(f"Your role cannot {doing}.")


def clean_query(text: str) -> str:
    """A query string given back to us (``back``), re-encoded: only ever our own page's filters."""
    return QueryDict(text or "").urlencode()


def day_label(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


# --- next available -----------------------------------------------------------------------


def _window(form: NextAvailableForm) -> tuple[dt.datetime, dt.datetime]:
    """The search's instants: from local midnight of the first day to the end of the last day,
    at the chosen location, or spanning every location's zone for any location."""
    data = form.cleaned_data
    location = data.get("location")
    zones = [location.zone] if location else [loc.zone for loc in active_locations()]
    zones = zones or [timezone.get_current_timezone()]
    first = data.get("from_date") or timezone.localdate()
    last = data.get("to_date") or first + dt.timedelta(days=DEFAULT_DAYS - 1)
    start = min(dt.datetime.combine(first, dt.time(0), tzinfo=z) for z in zones)
    end = max(dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=z) for z in zones)
    return start, min(end, start + dt.timedelta(days=MAX_WINDOW_DAYS))


def _slot_rows(slots, back: str) -> list[dict]:
    """The slots grouped by their local day, each with its Book link."""
    days: list[dict] = []
    for slot in slots:
        local = slot.local_start
        if not days or days[-1]["day"] != local.date():
            days.append({"day": local.date(), "label": day_label(local.date()), "slots": []})
        query = urlencode(
            {
                "provider": slot.provider.pk,
                "location": slot.location.pk,
                "appointment_type": slot.appointment_type.pk,
                "start": slot.start.isoformat(timespec="seconds"),
                "back": back,
            }
        )
        days[-1]["slots"].append(
            {
                "slot": slot,
                "zone": local.tzname(),
                "book_url": f"{reverse('next_available_book')}?{query}",
            }
        )
    return days


@login_required
@require_GET
def next_available(request):
    """The finder's form and the first open slots (htmx: the finder block only)."""
    require(request, FIND_PERM, "look for open slots")
    form = NextAvailableForm(request.GET or None, initial={"from_date": timezone.localdate()})
    slots, searched = [], False
    if form.is_bound and form.is_valid():
        start, end = _window(form)
        data = form.cleaned_data
        try:
            slots = open_slots(
                appointment_type=data["appointment_type"],
                providers=list(data["providers"]) or None,
                locations=[data["location"]] if data.get("location") else None,
                start=start,
                end=end,
                limit=data.get("limit") or 10,
                preferred_weekdays=data.get("weekdays") or None,
                preferred_times=form.preferred_times(),
            )
            searched = True
        except DomainError as exc:
            form.add_error(FINDER_FIELDS.get(exc.field), exc.message)
    back = clean_query(request.GET.urlencode())
    context = {
        "form": form,
        "days": _slot_rows(slots, back),
        "count": len(slots),
        "zones": len({s.location.time_zone for s in slots}) > 1,
        "searched": searched,
        "may_book": may(request, BOOK_PERM),
    }
    template = "scheduling/slots/_finder.html" if request.htmx else "scheduling/slots/next.html"
    status = 422 if form.is_bound and form.errors else 200
    if request.htmx:
        status = 200  # htmx swaps only 2xx answers: the errors are in the block it swaps in
    return render(request, template, context, status=status)


def _search(request, query: str) -> list[Patient]:
    """Patients matching ``query`` (none for an empty one); the search goes in the access log."""
    if not query or not request.user.has_perm("patients.view_patient"):
        return []
    found = search_patients(query=query, limit=PATIENT_MATCHES)
    record_access(
        user=request.user,
        action=VIEW,
        object_type="patient list",
        object_id="",
        ip_address=client_address(request),
        detail=f"search: {query}",
    )
    return found


def patient_or_none(pk) -> Patient | None:
    if pk is None:
        return None
    return Patient.objects.filter(pk=pk).first()


def _booking_page(request, form: SlotForm, *, status: int = 200, chosen=None):
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    slot, still_open = None, None
    if all(data.get(k) for k in ("provider", "location", "appointment_type", "start")):
        kind = data["appointment_type"]
        start = data["start"].astimezone(dt.UTC)
        try:
            found = open_slots(
                appointment_type=kind,
                providers=[data["provider"]],
                locations=[data["location"]],
                start=start,
                end=start + dt.timedelta(minutes=kind.duration_minutes),
                limit=1,
            )
        except DomainError:
            found = []
        still_open = bool(found) and found[0].start == start
        slot = found[0] if still_open else None
        local = start.astimezone(data["location"].zone)
        end = local + dt.timedelta(minutes=kind.duration_minutes)
        data = {**data, "when": f"{day_label(local.date())}, {hhmm(local)}–{hhmm(end)}"}
    back = clean_query(request.GET.get("back") or request.POST.get("back", ""))
    query = (request.GET.get("q") or "").strip()[:100]
    context = {
        "patients": _search(request, query),
        "query": query,
        "form": form,
        "data": data,
        "slot": slot,
        "still_open": still_open,
        "chosen": chosen,
        "back": back,
        "back_url": f"{reverse('next_available')}?{back}",
    }
    template = "scheduling/slots/_book.html" if request.htmx else "scheduling/slots/book.html"
    return render(request, template, context, status=200 if request.htmx else status)


def done(request, url: str):
    """Go to ``url``: a redirect, or for htmx a full-page navigation (the list is refreshed)."""
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def next_available_book(request):
    """Ask for the patient (GET) and book the slot (POST)."""
    require(request, BOOK_PERM, "book visits", booking_role=True)
    if request.method != "POST":
        form = SlotForm(request.GET)
        form.is_valid()
        if any(k in form.errors for k in ("provider", "location", "appointment_type", "start")):
            return _booking_page(request, form, status=400)
        return _booking_page(request, form)
    form = SlotForm(request.POST)
    back = clean_query(request.POST.get("back", ""))
    back_url = f"{reverse('next_available')}?{back}"
    if not form.is_valid():
        return _booking_page(request, form, status=422)
    data = form.cleaned_data
    patient = patient_or_none(data.get("patient"))
    if patient is None:
        form.add_error("patient", "Search for the patient and choose one from the list.")
        return _booking_page(request, form, status=422)
    try:
        appointment = book_appointment(
            actor=request.user,
            patient=patient,
            provider=data["provider"],
            location=data["location"],
            appointment_type=data["appointment_type"],
            start=data["start"],
            notes=data["notes"],
        )
    except DomainError as exc:
        if exc.code == errors.SLOT_TAKEN or exc.status == 409:
            messages.error(request, f"Not booked: {exc.message} The list shows what is open now.")
            return done(request, back_url)
        form.add_error(BOOKING_FIELDS.get(exc.field), exc.message)
        return _booking_page(request, form, status=exc.status, chosen=patient)
    announce_booking(request, appointment, "booked from next available", show_location=True)
    return done(request, back_url)


@login_required
@require_GET
def slot_patient_search(request):
    """Patients matching what was typed, as choices for the booking and waitlist forms."""
    if not request.user.has_perm("patients.view_patient"):
        raise PermissionDenied("Your role cannot look up patients.")
    if not (request.user.has_perm(BOOK_PERM) or request.user.has_perm(WAITLIST_ADD)):
        raise PermissionDenied("Your role cannot book visits.")
    query = (request.GET.get("q") or "").strip()[:100]
    found = search_patients(query=query, limit=PATIENT_MATCHES) if query else []
    if query:
        record_access(
            user=request.user,
            action=VIEW,
            object_type="patient list",
            object_id="",
            ip_address=client_address(request),
            detail=f"search: {query}",
        )
    return render(request, "scheduling/slots/_patients.html", {"patients": found, "query": query})


def announce_booking(request, appointment, detail: str, *, show_location: bool = False) -> None:
    """After a booking from a list: the access-log row (the patient's record was acted on)
    and the page's "Booked …" message."""
    patient = appointment.patient
    record_access(
        user=request.user,
        action=CREATE,
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=patient.pk,
        ip_address=client_address(request),
        detail=detail,
    )
    where = f" ({appointment.location.name})" if show_location else ""
    messages.success(
        request,
        f"Booked {patient.last_name}, {patient.first_name} with "
        f"{appointment.provider.schedule_name} on "
        f"{day_label(appointment.local_start.date())} at {appointment.local_hours}{where}.",
    )
