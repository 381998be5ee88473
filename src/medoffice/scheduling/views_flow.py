"""The flow board (today's patients by step, live), wait-time statistics, and calendar feeds.

The board's page is logged in the PHI access log when it is opened (a list
of patients, like the day view); its 15-second refresh shows the same list
and is not logged again. Moving a card calls ``record_flow_step``; the
refreshed board shows the result or the service's message.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from medoffice.core import csvsafe
from medoffice.core.audit import UPDATE, VIEW, client_address, record_access
from medoffice.core.errors import DomainError
from medoffice.core.roles import ADMIN, OFFICE_MANAGER, roles_of
from medoffice.scheduling import day_view, ical, stats
from medoffice.scheduling.flow_board import flow_board
from medoffice.scheduling.forms import ScheduleFilterForm, StepForm, WaitTimesForm
from medoffice.scheduling.models import Appointment, Provider, Room
from medoffice.scheduling.selectors import location_today
from medoffice.scheduling.services import record_flow_step
from medoffice.scheduling.views_schedule import (
    CHANGE_PERM,
    FLOW_ROLES,
    VIEW_PERM,
    may_move,
    no_location,
    role_required,
)

BOARD_REFRESH_SECONDS = 15
DEFAULT_STATS_DAYS = 30


# --- the flow board -------------------------------------------------------------------


def _board_place(request, data):
    form = ScheduleFilterForm(data)
    locations = day_view.schedule_locations()
    location = day_view.pick_location(request.user, locations, form.value("location"))
    day = form.value("date")
    if location is not None and day is None:
        day = location_today(location)
    return locations, location, day


def _board_context(request, location, day, **extra) -> dict:
    board = flow_board(location=location, day=day)
    movable = may_move(request) and board.is_today
    rooms = list(Room.objects.filter(location=location, active=True).order_by("name"))
    query = urlencode({"location": location.pk, "date": day.isoformat()})
    return {
        "board": board,
        "location": location,
        "day": day,
        "may_move": movable,
        "rooms": rooms,
        "refresh_seconds": BOARD_REFRESH_SECONDS,
        "cards_url": f"{reverse('flow_board_cards')}?{query}",
        "day_url": f"{reverse('schedule_day')}?{query}",
        "stats_url": f"{reverse('wait_times')}?location={location.pk}",
        **extra,
    }


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def flow_board_page(request):
    """Today's patients at a location, by step, with the time each has spent in it."""
    locations, location, day = _board_place(request, request.GET)
    if location is None:
        return no_location(request)
    context = _board_context(request, location, day, locations=locations)
    record_access(
        user=request.user,
        action=VIEW,
        object_type="flow board",
        object_id=f"{location.pk}:{day.isoformat()}",
        ip_address=client_address(request),
        detail=f"flow board of {location.name}: {context['board'].visits} visits",
    )
    return render(request, "scheduling/flow_board.html", context)


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def flow_board_cards(request):
    """The board's columns alone: what the page fetches every 15 seconds."""
    _locations, location, day = _board_place(request, request.GET)
    if location is None:
        return HttpResponse(status=204)
    return render(request, "scheduling/_flow_columns.html", _board_context(request, location, day))


@require_POST
@login_required
@role_required(FLOW_ROLES, CHANGE_PERM, "record patient flow")
def flow_board_step(request, pk: int):
    """Move one card a step on; answer with the refreshed board (and the message, if refused)."""
    appt = Appointment.objects.select_related("location").filter(pk=pk).first()
    if appt is None:
        raise Http404("There is no such appointment.")
    location = appt.location
    day = appt.local_start.date()
    form = StepForm(request.POST, location=location)
    error = notice = ""
    status = 200
    if not form.is_valid():
        error = "Choose a step (and a room when rooming) before moving the patient on."
        status = 422
    else:
        step = form.cleaned_data["step"]
        room = form.cleaned_data["room"] if step == Appointment.ROOMED else None
        try:
            done = record_flow_step(actor=request.user, appointment=pk, step=step, room=room)
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            record_access(
                user=request.user,
                action=UPDATE,
                object_type="appointment",
                object_id=pk,
                patient_id=done.patient_id,
                ip_address=client_address(request),
                detail=f"flow board: {step}",
            )
            where = f" in {room.name}" if room is not None else ""
            notice = f"{done.patient_short_name}: {step.replace('_', ' ')}{where}."
    context = _board_context(request, location, day, error=error, notice=notice)
    if request.htmx:
        return render(request, "scheduling/_flow_columns.html", context, status=status)
    return render(request, "scheduling/flow_board.html", context, status=status)


# --- wait times -----------------------------------------------------------------------


@login_required
@permission_required(VIEW_PERM, raise_exception=True)
def wait_times(request):
    """Minutes per step, provider, visit type and hour of arrival; the no-show rate; CSV."""
    locations = day_view.schedule_locations()
    location = day_view.pick_location(request.user, locations, None)
    if location is None:
        return no_location(request)
    today = location_today(location)
    data = {
        "location": str(location.pk),
        "start": (today - dt.timedelta(days=DEFAULT_STATS_DAYS)).isoformat(),
        "end": today.isoformat(),
    }
    data.update({k: request.GET[k] for k in data if k in request.GET})
    form = WaitTimesForm(data)
    chosen = form.cleaned_data if form.is_valid() else None
    report = stats.wait_times(**chosen) if chosen else None
    if report is not None and request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        name = f"wait-times-{report.location.name}-{report.start}-{report.end}.csv"
        response["Content-Disposition"] = f'attachment; filename="{_safe_filename(name)}"'
        csvsafe.writer(response).writerows(stats.as_csv_rows(report))
        return response
    query = urlencode(
        {
            "location": report.location.pk,
            "start": report.start.isoformat(),
            "end": report.end.isoformat(),
        }
        if report
        else {}
    )
    return render(
        request,
        "scheduling/wait_times.html",
        {
            "form": form,
            "report": report,
            "steps": stats.STEPS,
            "csv_url": f"?{query}&format=csv",
        },
        status=200 if report is not None else 422,
    )


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in name)


# --- calendar feeds -------------------------------------------------------------------


def _may_see_every_feed(user) -> bool:
    return bool(roles_of(user) & {OFFICE_MANAGER, ADMIN})


@login_required
def calendar_feeds(request):
    """The secret calendar URL of the provider signed in, or of every provider (office manager)."""
    user = request.user
    if _may_see_every_feed(user):
        providers = list(Provider.objects.filter(active=True).order_by("last_name", "first_name"))
    else:
        own = Provider.objects.filter(user=user, active=True).first()
        if own is None:
            raise PermissionDenied("Only providers and the office manager see calendar feeds.")
        providers = [own]
    feeds = [
        {
            "provider": p,
            "url": request.build_absolute_uri(
                reverse("calendar_feed", kwargs={"token": ical.feed_token(p)})
            ),
        }
        for p in providers
    ]
    return render(
        request,
        "scheduling/calendar_feeds.html",
        {
            "feeds": feeds,
            "every": _may_see_every_feed(user),
            "days_back": ical.DAYS_BACK,
            "days_ahead": ical.DAYS_AHEAD,
        },
    )


def calendar_feed(request, token: str):
    """The provider's .ics feed: read-only, no sign-in, the token is the key."""
    provider = ical.provider_for_token(token)
    if provider is None:
        raise Http404("There is no calendar at this address.")
    body = ical.provider_calendar(provider, host=request.get_host().split(":")[0] or "medoffice")
    record_access(
        user=None,
        action=VIEW,
        object_type="calendar feed",
        object_id=provider.pk,
        ip_address=client_address(request),
        detail=f"iCalendar feed of {provider.schedule_name} (initials and visit types)",
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="schedule.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
