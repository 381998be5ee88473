"""The "Waitlist" page: patients waiting for an earlier visit, and who fits each freed time.

For each time freed by a recent cancellation (still ahead, not booked or
blocked again) the page lists the waiting entries that fit it, in calling
order, each with a Book button that books through ``book_from_waitlist``.
Adding and removing entries go through the waitlist services. The page writes
the PHI access log (it names patients).
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from medoffice.core.audit import CREATE, VIEW, client_address, record_access
from medoffice.core.errors import DomainError
from medoffice.scheduling.forms_slots import RemoveForm, WaitlistEntryForm, WaitlistFilterForm
from medoffice.scheduling.models import Appointment, WaitlistEntry
from medoffice.scheduling.services import add_to_waitlist, remove_from_waitlist
from medoffice.scheduling.views_slots import (
    BOOK_PERM,
    WAITLIST_ADD,
    announce_booking,
    clean_query,
    day_label,
    done,
    may,
    patient_or_none,
    require,
)
from medoffice.scheduling.waitlist_matching import (
    book_from_waitlist,
    freed_slot_of,
    freed_slots,
    matches_for_slots,
)

WAITLIST_VIEW = "scheduling.view_waitlistentry"
WAITLIST_CHANGE = "scheduling.change_waitlistentry"
MAX_WAITING = 200


def _waiting_entries(filters: WaitlistFilterForm) -> list[WaitlistEntry]:
    rows = WaitlistEntry.objects.filter(status=WaitlistEntry.WAITING)
    location = filters.value("location")
    provider = filters.value("provider")
    kind = filters.value("appointment_type")
    if location is not None:
        rows = rows.filter(Q(location__isnull=True) | Q(location=location))
    if provider is not None:
        rows = rows.filter(Q(providers__isnull=True) | Q(providers=provider))
    if kind is not None:
        rows = rows.filter(appointment_type=kind)
    return list(
        rows.distinct()
        .select_related("patient", "appointment_type", "location")
        .prefetch_related("providers")
        .order_by("created_at", "id")[:MAX_WAITING]
    )


@login_required
@require_GET
def waitlist(request):
    """Waiting patients and, per freed slot, who fits it (htmx: the results block only)."""
    require(request, WAITLIST_VIEW, "see the waitlist")
    filters = WaitlistFilterForm(request.GET or None)
    freed = freed_slots(
        location=filters.value("location"),
        provider=filters.value("provider"),
        appointment_type=filters.value("appointment_type"),
    )
    matches = matches_for_slots(
        [f.slot for f in freed], not_for_patients=[f.appointment.patient_id for f in freed]
    )
    entries = _waiting_entries(filters)
    record_access(
        user=request.user,
        action=VIEW,
        object_type="waitlist",
        object_id="",
        ip_address=client_address(request),
        detail=f"{len(entries)} waiting, {len(freed)} freed slots",
    )
    context = {
        "filters": filters,
        "freed": [
            {
                "freed": f,
                "label": f"{day_label(f.slot.local_start.date())}, {f.slot.local_hours}",
                "matches": m,
            }
            for f, m in zip(freed, matches, strict=True)
        ],
        "entries": entries,
        "may_book": may(request, BOOK_PERM),
        "may_add": may(request, WAITLIST_ADD),
        "may_remove": may(request, WAITLIST_CHANGE),
        "back": clean_query(request.GET.urlencode()),
        "remove_form": RemoveForm(),
    }
    template = (
        "scheduling/slots/_waitlist.html" if request.htmx else "scheduling/slots/waitlist.html"
    )
    return render(request, template, context)


def _waitlist_url(back: str) -> str:
    return f"{reverse('waitlist')}?{clean_query(back)}"


@login_required
def waitlist_add(request):
    """Put a patient on the waitlist."""
    require(request, WAITLIST_ADD, "keep the waitlist", booking_role=True)
    if request.method != "POST":
        today = timezone.localdate()
        form = WaitlistEntryForm(
            initial={"earliest_date": today, "latest_date": today + dt.timedelta(days=30)}
        )
        return render(request, "scheduling/slots/waitlist_add.html", {"form": form})
    form = WaitlistEntryForm(request.POST)
    chosen = None
    if form.is_valid():
        data = form.cleaned_data
        chosen = patient_or_none(data["patient"])
        if chosen is None:
            form.add_error("patient", "Search for the patient and choose one from the list.")
        else:
            try:
                entry = add_to_waitlist(
                    actor=request.user,
                    patient=chosen,
                    appointment_type=data["appointment_type"],
                    earliest_date=data["earliest_date"],
                    latest_date=data["latest_date"],
                    providers=list(data["providers"]),
                    location=data["location"],
                    preferred_weekdays=data["preferred_weekdays"],
                    preferred_time=data["preferred_time"],
                    note=data["note"],
                )
            except DomainError as exc:
                field = exc.field if exc.field in form.fields else None
                form.add_error(field, exc.message)
            else:
                record_access(
                    user=request.user,
                    action=CREATE,
                    object_type="waitlist entry",
                    object_id=entry.pk,
                    patient_id=chosen.pk,
                    ip_address=client_address(request),
                )
                messages.success(
                    request, f"{chosen.last_name}, {chosen.first_name} is on the waitlist."
                )
                return redirect("waitlist")
    return render(
        request,
        "scheduling/slots/waitlist_add.html",
        {"form": form, "chosen": chosen},
        status=422,
    )


@login_required
@require_POST
def waitlist_remove(request, pk: int):
    """Take an entry off the waitlist (kept, marked removed, with the reason)."""
    require(request, WAITLIST_CHANGE, "keep the waitlist", booking_role=True)
    form = RemoveForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        entry = remove_from_waitlist(actor=request.user, entry=pk, reason=reason)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"{entry.patient.last_name}, {entry.patient.first_name} is off the waitlist.",
        )
    return done(request, _waitlist_url(request.POST.get("back", "")))


@login_required
@require_POST
def waitlist_book(request):
    """Book a waiting patient into the time a cancellation freed."""
    require(request, BOOK_PERM, "book visits", booking_role=True)
    back = _waitlist_url(request.POST.get("back", ""))
    try:
        entry_id = int(request.POST.get("entry", ""))
        appointment_id = int(request.POST.get("appointment", ""))
    except ValueError:
        messages.error(request, "Choose a waiting patient and a freed time from the list.")
        return done(request, back)
    cancelled = (
        Appointment.objects.select_related("provider", "location", "room", "appointment_type")
        .filter(pk=appointment_id)
        .first()
    )
    if cancelled is None:
        messages.error(request, "That freed time is no longer on the list.")
        return done(request, back)
    try:
        appointment = book_from_waitlist(
            actor=request.user, entry=entry_id, slot=freed_slot_of(cancelled)
        )
    except DomainError as exc:
        messages.error(request, f"Not booked: {exc.message}")
        return done(request, back)
    announce_booking(request, appointment, "booked from the waitlist")
    return done(request, back)
