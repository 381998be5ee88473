"""The schedule pages: one location's day and week, and the printable day sheet.

Views stay thin: they read through :mod:`.day_view` and :mod:`.week_view`
and write the PHI access log for what they show (a schedule is a list of
patients; the day sheet, with phones and notes, is logged per patient as
printed). Booking and the appointment panel live in :mod:`.views_appointments`.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from medoffice.core.audit import PRINT, VIEW, client_address, record_access
from medoffice.core.models import Location
from medoffice.core.roles import ADMIN, OFFICE_MANAGER, PROVIDER, roles_of
from medoffice.scheduling import day_view, week_view
from medoffice.scheduling.api.common import BOOKING_ROLES, FLOW_ROLES
from medoffice.scheduling.forms import ScheduleFilterForm
from medoffice.scheduling.selectors import location_today

VIEW_PERM = "scheduling.view_appointment"
BOOK_PERM = "scheduling.add_appointment"
CHANGE_PERM = "scheduling.change_appointment"
# Who does what on these pages is the API's split (BOOKING_ROLES, FLOW_ROLES): the front
# desk and the office manager book, move, cancel and confirm; they and the medical
# assistants move patients through the office. Everyone else who may view the schedule
# reads it.


def request_roles(request) -> set[str]:
    """The signed-in user's role slugs, read once per request."""
    cached = getattr(request, "_medoffice_roles", None)
    if cached is None:
        cached = request._medoffice_roles = roles_of(request.user)
    return cached


def may_book(request) -> bool:
    return request.user.has_perm(BOOK_PERM) and bool(request_roles(request) & BOOKING_ROLES)


def may_move(request) -> bool:
    return request.user.has_perm(CHANGE_PERM) and bool(request_roles(request) & FLOW_ROLES)


def role_required(allowed: frozenset[str], perm: str, doing: str):
    """Refuse (403) users without one of ``allowed`` roles and ``perm``."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not (request.user.has_perm(perm) and request_roles(request) & allowed):
                raise PermissionDenied(f"Your role cannot {doing}.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- helpers --------------------------------------------------------------------------


def _log_schedule(request, *, what: str, location: Location, day: dt.date, detail: str):
    """A schedule shows patients' names: log it like a patient list (no single patient)."""
    record_access(
        user=request.user,
        action=VIEW,
        object_type=what,
        object_id=f"{location.pk}:{day.isoformat()}",
        ip_address=client_address(request),
        detail=detail,
    )


def query_string(base: dict, **changes) -> str:
    values = {**base, **changes}
    return "?" + urlencode({k: v for k, v in values.items() if v not in (None, "", False)})


def _filters(request):
    """The location, day and display options asked for, with defaults for anything missing."""
    form = ScheduleFilterForm(request.GET)
    locations = day_view.schedule_locations()
    location = day_view.pick_location(request.user, locations, form.value("location"))
    notes = []
    if "date" in request.GET and request.GET["date"] and form.value("date") is None:
        notes.append("That date could not be read; showing today.")
    day = form.value("date")
    if day is None and location is not None:
        day = location_today(location)
    return {
        "locations": locations,
        "location": location,
        "day": day,
        "by": form.value("by", day_view.BY_PROVIDER),
        "step": form.value("step", day_view.DEFAULT_STEP),
        "show_all": bool(form.value("show", False)),
        "notes": notes,
    }


def no_location(request):
    return render(request, "scheduling/no_location.html", status=200)


def _nav_links(url_name: str, f: dict, step_days: int) -> dict:
    base = {
        "location": f["location"].pk,
        "by": f["by"] if f["by"] != day_view.BY_PROVIDER else "",
        "step": f["step"] if f["step"] != day_view.DEFAULT_STEP else "",
        "show": "1" if f["show_all"] else "",
    }
    day = f["day"]
    url = reverse(url_name)
    only_location = {"location": base["location"]}
    return {
        "base": base,
        "prev": url + query_string(base, date=day - dt.timedelta(days=step_days)),
        "next": url + query_string(base, date=day + dt.timedelta(days=step_days)),
        "today": url + query_string(base),
        "day": reverse("schedule_day") + query_string(base, date=day),
        "week": reverse("schedule_week") + query_string(base, date=day),
        "sheet": reverse("schedule_day_sheet") + query_string(only_location, date=day),
        "by_provider": reverse("schedule_day") + query_string(base, by="", date=day),
        "by_room": reverse("schedule_day") + query_string(base, by=day_view.BY_ROOM, date=day),
        "toggle_all": reverse("schedule_day")
        + query_string(base, show="" if f["show_all"] else "1", date=day),
        "flow_board": reverse("flow_board") + query_string(only_location, date=day),
    }


# --- day, week, day sheet -------------------------------------------------------------


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def schedule_day(request):
    """One location's day: a column per provider (or room), a row per 15 minutes."""
    f = _filters(request)
    if f["location"] is None:
        return no_location(request)
    bookable = may_book(request)
    grid = day_view.build_day_grid(
        location=f["location"],
        day=f["day"],
        by=f["by"],
        step=f["step"],
        show_all=f["show_all"],
        bookable=bookable,
    )
    _log_schedule(
        request,
        what="schedule day",
        location=f["location"],
        day=f["day"],
        detail=f"day view of {f['location'].name}: {grid.appointments} visits",
    )
    links = _nav_links("schedule_day", f, 1)
    context = {
        **f,
        "grid": grid,
        "links": links,
        "grid_url": reverse("schedule_day") + query_string(links["base"], date=f["day"]),
        "may_book": bookable,
        "feeds_link": bool(request_roles(request) & {PROVIDER, OFFICE_MANAGER, ADMIN}),
        "step_choices": day_view.STEP_CHOICES,
        "now": timezone.now(),
    }
    if request.htmx and request.htmx.target == "day-grid":
        return render(request, "scheduling/_day_grid.html", context)
    return render(request, "scheduling/day.html", context)


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def schedule_week(request):
    """Monday to Sunday at one location: per provider and day, the count and the first visits."""
    f = _filters(request)
    if f["location"] is None:
        return no_location(request)
    week = week_view.build_week_grid(location=f["location"], day=f["day"])
    _log_schedule(
        request,
        what="schedule week",
        location=f["location"],
        day=week.monday,
        detail=f"week view of {f['location'].name} from {week.monday}: {sum(week.totals)} visits",
    )
    return render(
        request,
        "scheduling/week.html",
        {**f, "week": week, "links": _nav_links("schedule_week", f, 7), "now": timezone.now()},
    )


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def schedule_day_sheet(request):
    """The printable day: per provider, times, patients, visit types, phones and notes."""
    f = _filters(request)
    if f["location"] is None:
        return no_location(request)
    sections = week_view.day_sheet(location=f["location"], day=f["day"])
    ip = client_address(request)
    with transaction.atomic():
        for section in sections:
            for appt in section.appointments:
                record_access(
                    user=request.user,
                    action=PRINT,
                    object_type="day sheet",
                    object_id=appt.pk,
                    patient_id=appt.patient_id,
                    ip_address=ip,
                    detail=f"day sheet {f['location'].name} {f['day'].isoformat()}",
                )
    return render(
        request,
        "scheduling/day_sheet.html",
        {
            **f,
            "sections": sections,
            "links": _nav_links("schedule_day", f, 1),
            "printed_at": timezone.now(),
        },
    )
