"""Schedule set-up pages: providers, rooms, appointment types, weekly blocks, blocked time.

Who may do what: anyone whose role may view the schedule's set-up (the
``scheduling.view_*`` permissions) reads these pages; changing them takes the
model's add/change permission *and* the office manager's or administrator's
role (``SETUP_ROLES``) — the front desk books into the schedule, it does not
reshape it. Views stay thin: forms read the input, the services in
:mod:`.services_resources` judge and write it, and a refusal comes back as the
form's field errors.
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from medoffice.core import roles
from medoffice.core.errors import DomainError
from medoffice.core.models import Location
from medoffice.scheduling import selectors_resources as reads
from medoffice.scheduling import services_resources as services
from medoffice.scheduling.forms_resources import (
    PAGE_SIZE,
    AppointmentTypeForm,
    BlockForm,
    ExceptionForm,
    ProviderForm,
    RoomForm,
    SearchForm,
)
from medoffice.scheduling.models import (
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)

SETUP_ROLES = frozenset({roles.OFFICE_MANAGER, roles.ADMIN})


def may_set_up(user, perm: str) -> bool:
    """True when ``user`` may change the schedule's set-up with ``perm`` (e.g. change_room)."""
    if not user.has_perm(f"scheduling.{perm}"):
        return False
    held = getattr(user, "_setup_roles", None)
    if held is None:
        held = user._setup_roles = roles.roles_of(user)  # once per request
    return bool(held & SETUP_ROLES)


def viewer(perm: str):
    """Let in users with ``scheduling.<perm>``; others get 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.has_perm(f"scheduling.{perm}"):
                raise PermissionDenied("Your role cannot see the schedule set-up.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def editor(perm: str):
    """Let in the office manager and the administrator holding ``scheduling.<perm>``."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not may_set_up(request.user, perm):
                raise PermissionDenied(
                    "Only the office manager or an administrator changes the schedule set-up."
                )
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _page(request, qs):
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def _form_error(form, exc: DomainError, rename: dict[str, str] | None = None) -> None:
    """Show a service's refusal on the form: every field it named, else at the top."""
    fields = getattr(exc, "fields", None) or {exc.field or "__all__": [exc.message]}
    for name, problems in fields.items():
        name = (rename or {}).get(name, name)
        target = name if name in form.fields else None
        for problem in problems:
            form.add_error(target, problem)


def _search(request, **options) -> tuple[SearchForm, dict]:
    form = SearchForm(request.GET or None, **options)
    data = {"text": "", "status": "active", "location": None}
    if form.is_valid():
        data.update(
            text=form.cleaned_data["q"],
            status=form.cleaned_data.get("status") or "active",
            location=form.cleaned_data.get("location"),
        )
    return form, data


def _with_when(exceptions) -> list[tuple[ScheduleException, str]]:
    """Each exception with its time span in words (in its own location's zone)."""
    zones = [loc.zone for loc in Location.objects.filter(active=True).order_by("pk")]
    here = timezone.get_current_timezone()
    return [(e, reads.exception_when(e, office_zones=zones, default_zone=here)) for e in exceptions]


def _switched(request, what: str, active: bool, ahead: int) -> None:
    state = "back in use" if active else "out of use"
    note = ""
    if ahead and not active:
        note = f" {ahead} booked visit{'s' if ahead != 1 else ''} ahead still use it; move them."
    messages.success(request, f"{what} is {state}.{note}")


# --- overview ----------------------------------------------------------------------------


@viewer("view_availabilitytemplate")
def setup_home(request):
    now = timezone.now()
    context = {
        "providers": Provider.objects.filter(active=True).count(),
        "rooms": Room.objects.filter(active=True).count(),
        "types": AppointmentType.objects.filter(active=True).count(),
        "blocks": AvailabilityTemplate.objects.count(),
        "upcoming": _with_when(reads.exceptions_matching(now=now)[:5]),
        "locations": Location.objects.filter(active=True).order_by("name"),
    }
    return render(request, "scheduling/resources/home.html", context)


# --- providers ---------------------------------------------------------------------------


@viewer("view_provider")
def provider_list(request):
    form, data = _search(request)
    page, query = _page(request, reads.providers_matching(**data))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "may_edit": may_set_up(request.user, "change_provider"),
        "may_add": may_set_up(request.user, "add_provider"),
    }
    return render(request, "scheduling/resources/providers.html", context)


def _provider_form_page(request, provider: Provider | None):
    if provider is None:
        initial = {}
    else:
        initial = {
            "first_name": provider.first_name,
            "last_name": provider.last_name,
            "credentials": provider.credentials,
            "npi": provider.npi,
            "taxonomy_code": provider.taxonomy_code,
            "specialty": provider.specialty,
            "locations": list(provider.locations.all()),
            "accepts_overbook": provider.accepts_overbook,
            "colour": provider.colour,
        }
    form = ProviderForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_provider(
                actor=request.user, provider=provider, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Saved {saved.display_name}.")
            return redirect("setup_providers")
    context = {"form": form, "provider": provider}
    return render(request, "scheduling/resources/provider_form.html", context)


@editor("add_provider")
def provider_add(request):
    return _provider_form_page(request, None)


@editor("change_provider")
def provider_edit(request, pk: int):
    return _provider_form_page(request, get_object_or_404(Provider, pk=pk))


@require_POST
@editor("change_provider")
def provider_active(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        ahead = services.set_provider_active(actor=request.user, provider=provider, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _switched(request, provider.display_name, active, ahead)
    return _back(request, "setup_providers")


def _back(request, fallback: str):
    """Back to the list the button was on (its search and page kept)."""
    back = request.POST.get("next", "")
    if back.startswith("/") and not back.startswith("//"):
        return HttpResponseRedirect(back)
    return redirect(fallback)


# --- rooms -------------------------------------------------------------------------------


@viewer("view_room")
def room_list(request):
    form, data = _search(request)
    page, query = _page(request, reads.rooms_matching(**data))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "may_edit": may_set_up(request.user, "change_room"),
        "may_add": may_set_up(request.user, "add_room"),
    }
    return render(request, "scheduling/resources/rooms.html", context)


def _room_form_page(request, room: Room | None):
    initial = (
        {"location": request.GET.get("location")}
        if room is None
        else {"location": room.location_id, "name": room.name, "kind": room.kind}
    )
    form = RoomForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_room(actor=request.user, room=room, **form.cleaned_data)
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Saved {saved.name} at {saved.location.name}.")
            return redirect("setup_rooms")
    return render(request, "scheduling/resources/room_form.html", {"form": form, "room": room})


@editor("add_room")
def room_add(request):
    return _room_form_page(request, None)


@editor("change_room")
def room_edit(request, pk: int):
    return _room_form_page(
        request, get_object_or_404(Room.objects.select_related("location"), pk=pk)
    )


@require_POST
@editor("change_room")
def room_active(request, pk: int):
    room = get_object_or_404(Room.objects.select_related("location"), pk=pk)
    active = request.POST.get("active") == "1"
    ahead = services.set_room_active(actor=request.user, room=room, active=active)
    _switched(request, f"{room.name} at {room.location.name}", active, ahead)
    return _back(request, "setup_rooms")


# --- appointment types -------------------------------------------------------------------


@viewer("view_appointmenttype")
def type_list(request):
    form, data = _search(request, with_location=False)
    data.pop("location", None)
    page, query = _page(request, reads.appointment_types_matching(**data))
    context = {
        "form": form,
        "page": page,
        "query": query,
        "may_edit": may_set_up(request.user, "change_appointmenttype"),
        "may_add": may_set_up(request.user, "add_appointmenttype"),
    }
    return render(request, "scheduling/resources/types.html", context)


def _type_form_page(request, kind: AppointmentType | None):
    initial = {}
    if kind is not None:
        initial = {
            name: getattr(kind, name)
            for name in (
                "name",
                "code",
                "duration_minutes",
                "colour",
                "room_kind",
                "patient_status",
                "telehealth",
            )
        }
    form = AppointmentTypeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_appointment_type(
                actor=request.user, appointment_type=kind, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Saved the appointment type {saved.name}.")
            return redirect("setup_types")
    return render(request, "scheduling/resources/type_form.html", {"form": form, "kind": kind})


@editor("add_appointmenttype")
def type_add(request):
    return _type_form_page(request, None)


@editor("change_appointmenttype")
def type_edit(request, pk: int):
    return _type_form_page(request, get_object_or_404(AppointmentType, pk=pk))


@require_POST
@editor("change_appointmenttype")
def type_active(request, pk: int):
    kind = get_object_or_404(AppointmentType, pk=pk)
    active = request.POST.get("active") == "1"
    ahead = services.set_appointment_type_active(
        actor=request.user, appointment_type=kind, active=active
    )
    state = "offered again" if active else "no longer offered"
    note = f" ({ahead} booked visits ahead keep it)" if ahead and not active else ""
    messages.success(request, f"{kind.name} is {state}{note}.")
    return _back(request, "setup_types")


# --- weekly blocks -----------------------------------------------------------------------


def _week_of(request) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        return timezone.localdate()


@viewer("view_availabilitytemplate")
def template_week(request):
    providers = list(Provider.objects.order_by("-active", "last_name", "first_name"))
    provider = next((p for p in providers if str(p.pk) == request.GET.get("provider")), None)
    provider = provider or next((p for p in providers if p.active), None)
    locations = list(provider.locations.order_by("name")) if provider else []
    location = next((loc for loc in locations if str(loc.pk) == request.GET.get("location")), None)
    week_of = _week_of(request)
    monday = week_of - dt.timedelta(days=week_of.weekday())
    grid = (
        reads.week_grid(provider=provider, location=location, week_of=monday) if provider else None
    )
    context = {
        "providers": providers,
        "provider": provider,
        "locations": locations,
        "location": location,
        "monday": monday,
        "sunday": monday + dt.timedelta(days=6),
        "previous_week": monday - dt.timedelta(days=7),
        "next_week": monday + dt.timedelta(days=7),
        "grid": grid,
        "may_edit": may_set_up(request.user, "change_availabilitytemplate"),
    }
    return render(request, "scheduling/resources/templates.html", context)


def _week_url(block_or_provider, location=None, week: dt.date | None = None) -> str:
    provider = getattr(block_or_provider, "provider", block_or_provider)
    url = f"{reverse('setup_templates')}?provider={provider.pk}"
    if location is not None:
        url += f"&location={location.pk}"
    if week is not None:
        url += f"&week={week.isoformat()}"
    return url


def _block_form_page(request, provider: Provider, block: AvailabilityTemplate | None):
    if block is None:
        first = provider.locations.order_by("name").first()
        initial = {
            "location": request.GET.get("location") or (first.pk if first else None),
            "weekday": request.GET.get("weekday") or 0,
            "start_time": "08:00",
            "end_time": "12:00",
            "effective_from": timezone.localdate(),
            "slot_minutes": 15,
        }
    else:
        initial = {
            "location": block.location_id,
            "weekday": block.weekday,
            "start_time": block.start_time,
            "end_time": block.end_time,
            "appointment_types": list(block.appointment_types.all()),
            "slot_minutes": block.slot_minutes,
            "effective_from": block.effective_from,
            "effective_to": block.effective_to,
        }
    form = BlockForm(request.POST or None, initial=initial, provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_availability_block(
                actor=request.user, block=block, provider=provider, **form.cleaned_data
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                f"Saved {provider.schedule_name}'s {saved.get_weekday_display()} block "
                f"{saved.hours} at {saved.location.name}.",
            )
            return redirect(_week_url(provider, saved.location, saved.effective_from))
    context = {  # not "block": inside {% block %} that name is the template block itself
        "form": form,
        "provider": provider,
        "editing": block,
        "cancel_url": _week_url(provider, block.location if block else None),
    }
    return render(request, "scheduling/resources/block_form.html", context)


@editor("add_availabilitytemplate")
def block_add(request, provider_pk: int):
    return _block_form_page(request, get_object_or_404(Provider, pk=provider_pk), None)


@editor("change_availabilitytemplate")
def block_edit(request, pk: int):
    block = get_object_or_404(AvailabilityTemplate.objects.select_related("provider"), pk=pk)
    return _block_form_page(request, block.provider, block)


@require_POST
@editor("delete_availabilitytemplate")
def block_remove(request, pk: int):
    block = get_object_or_404(
        AvailabilityTemplate.objects.select_related("provider", "location"), pk=pk
    )
    what = f"{block.provider.schedule_name}'s {block.get_weekday_display()} block {block.hours}"
    done = services.remove_availability_block(actor=request.user, block=block)
    messages.success(request, f"{what} at {block.location.name}: {done}.")
    return redirect(_week_url(block.provider))


# --- blocked time ------------------------------------------------------------------------


@viewer("view_scheduleexception")
def exception_list(request):
    form, data = _search(request, with_status=False)
    when = "past" if request.GET.get("when") == "past" else "upcoming"
    qs = reads.exceptions_matching(
        text=data["text"], when=when, location=data["location"], now=timezone.now()
    )
    page, query = _page(request, qs)
    context = {
        "form": form,
        "page": page,
        "rows": _with_when(page.object_list),
        "query": query,
        "when": when,
        "when_filter": [("when", when)],
        "may_edit": may_set_up(request.user, "change_scheduleexception"),
        "may_add": may_set_up(request.user, "add_scheduleexception"),
    }
    return render(request, "scheduling/resources/exceptions.html", context)


def _exception_window(data: dict) -> tuple[dt.datetime, dt.datetime]:
    provider, location = data.get("provider"), data.get("location")
    if data.get("all_day"):
        return services.whole_days(
            first=data["start_date"], last=data["end_date"], provider=provider, location=location
        )
    zone = services.exception_zone(provider=provider, location=location)
    start = dt.datetime.combine(data["start_date"], data["start_time"], tzinfo=zone)
    end = dt.datetime.combine(data["end_date"], data["end_time"], tzinfo=zone)
    return start, end


def _exception_form_page(request, exception: ScheduleException | None):
    if exception is None:
        today = timezone.localdate()
        initial = {
            "kind": ScheduleException.BLOCKED,
            "start_date": today,
            "end_date": today,
            "provider": request.GET.get("provider") or None,
        }
    else:
        zone = services.exception_zone(provider=exception.provider, location=exception.location)
        start, end = exception.start.astimezone(zone), exception.end.astimezone(zone)
        initial = {
            "kind": exception.kind,
            "provider": exception.provider_id,
            "location": exception.location_id,
            "start_date": start.date(),
            "start_time": start.time(),
            "end_date": end.date(),
            "end_time": end.time(),
            "reason": exception.reason,
        }
    form = ExceptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        start, end = _exception_window(data)
        try:
            saved, affected = services.save_schedule_exception(
                actor=request.user,
                exception=exception,
                kind=data["kind"],
                provider=data["provider"],
                location=data["location"],
                start=start,
                end=end,
                reason=data["reason"],
            )
        except DomainError as exc:
            day_field = "date" if data.get("all_day") else "time"
            _form_error(form, exc, {"start": f"start_{day_field}", "end": f"end_{day_field}"})
        else:
            note = ""
            if affected:
                plural = "s" if affected != 1 else ""
                note = f" {affected} booked visit{plural} fall in it; move them."
            messages.success(request, f"Saved: {saved.get_kind_display().lower()}.{note}")
            return redirect("setup_exceptions")
    context = {"form": form, "exception": exception}
    return render(request, "scheduling/resources/exception_form.html", context)


@editor("add_scheduleexception")
def exception_add(request):
    return _exception_form_page(request, None)


@editor("change_scheduleexception")
def exception_edit(request, pk: int):
    return _exception_form_page(request, get_object_or_404(ScheduleException, pk=pk))


@require_POST
@editor("delete_scheduleexception")
def exception_remove(request, pk: int):
    exception = get_object_or_404(ScheduleException, pk=pk)
    services.remove_schedule_exception(actor=request.user, exception=exception)
    messages.success(request, "Removed the blocked time; those hours can be booked again.")
    return _back(request, "setup_exceptions")
