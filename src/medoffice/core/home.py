"""The home page: what needs each role's attention today, one panel per concern.

Each panel function takes the user and returns a Panel, or None when it has
nothing to say to this user. Apps add their panels to PANELS as they land.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone


@dataclass
class Panel:
    title: str
    lines: list[str] = field(default_factory=list)
    link: str = ""
    link_label: str = ""
    tone: str = "info"  # info | ok | warn
    action: str = ""  # a POST button, e.g. to start a background job
    action_label: str = ""


def _failed_jobs(user) -> Panel | None:
    if not user.has_perm("django_tasks_database.view_dbtaskresult"):
        return None
    from django_tasks_db.models import DBTaskResult

    since = timezone.now() - timedelta(days=1)
    failed = DBTaskResult.objects.filter(status="FAILED", finished_at__gte=since).count()
    waiting = DBTaskResult.objects.filter(status="READY").count()
    return Panel(
        "Background jobs",
        [f"{failed} failed in the last 24 hours", f"{waiting} waiting to run"],
        reverse("task_list"),
        "Open jobs",
        "warn" if failed else "ok",
    )


def _locked_logins(user) -> Panel | None:
    if not user.has_perm("core.view_user"):
        return None
    from axes.models import AccessAttempt

    locked = AccessAttempt.objects.filter(failures_since_start__gte=_failure_limit()).count()
    return Panel(
        "Sign-in lockouts",
        [f"{locked} user name/address pair{'s' if locked != 1 else ''} locked out"],
        reverse("user_list"),
        "Users",
        "warn" if locked else "ok",
    )


def _two_factor(user) -> Panel | None:
    if user.require_two_factor:
        return None
    return Panel(
        "Protect your account",
        ["Two-factor sign-in is off for you. Turn it on with an authenticator app."],
        reverse("two_factor_setup"),
        "Turn on two-factor",
        "warn",
    )


def _failure_limit() -> int:
    from django.conf import settings

    return int(settings.AXES_FAILURE_LIMIT)


def _access_log(user) -> Panel | None:
    if not user.has_perm("core.view_accesslogentry"):
        return None
    from medoffice.core.models import AccessLogEntry

    since = timezone.now() - timedelta(days=1)
    views = AccessLogEntry.objects.filter(at__gte=since).count()
    lines = [f"{views} record accesses in the last 24 hours"]
    tone = "info"
    last = last_chain_check()
    if last is None:
        lines.append("The chain has not been verified yet.")
    else:
        lines.append(
            f"Last verified {timezone.localtime(last['at']):%b %d, %H:%M}: {last['summary']}"
        )
        tone = "ok" if last["ok"] else "warn"
    return Panel(
        "Patient record access",
        lines,
        reverse("audit_log"),
        "Search the access log",
        tone,
        action=reverse("audit_verify"),
        action_label="Verify the chain now",
    )


def last_chain_check() -> dict | None:
    """The newest finished background verification of the access log, if any."""
    from django_tasks_db.models import DBTaskResult

    from medoffice.core.tasks import verify_access_log

    row = (
        DBTaskResult.objects.filter(task_path=verify_access_log.module_path, status="SUCCESSFUL")
        .order_by("-finished_at")
        .first()
    )
    if row is None or not isinstance(row.return_value, dict):
        return None
    return {**row.return_value, "at": row.finished_at}


PANELS = [_access_log, _failed_jobs, _locked_logins, _two_factor]


def panels_for(user) -> list[Panel]:
    return [p for p in (panel(user) for panel in PANELS) if p is not None]


def _schedule_location(user):
    """The front desk's or medical assistant's office today (home, else the first active)."""
    from medoffice.core.models import Location
    from medoffice.core.roles import FRONT_DESK, MEDICAL_ASSISTANT, roles_of

    if not roles_of(user) & {FRONT_DESK, MEDICAL_ASSISTANT}:
        return None
    location = user.home_location
    if location is None or not location.active:
        location = Location.objects.filter(active=True).order_by("name").first()
    return location


def _schedule_today(user) -> Panel | None:
    location = _schedule_location(user)
    if location is None:
        return None
    from medoffice.scheduling.flow_board import today_summary

    today = today_summary(location=location)
    return Panel(
        f"Today at {location.name}",
        [
            f"{today.booked} visit{'s' if today.booked != 1 else ''} booked",
            f"{today.unconfirmed} still to come not yet confirmed",
        ],
        f"{reverse('schedule_day')}?location={location.pk}",
        "Open the day",
        "warn" if today.unconfirmed else "ok",
    )


def _waiting_now(user) -> Panel | None:
    location = _schedule_location(user)
    if location is None:
        return None
    from medoffice.scheduling.flow_board import today_summary

    today = today_summary(location=location)
    longest = today.longest_wait
    lines = [
        f"{today.waiting} patient{'s' if today.waiting != 1 else ''} in the waiting room",
        f"Longest wait: {longest} min" if longest is not None else "Nobody is waiting",
        f"{today.in_office} in the office in all",
    ]
    return Panel(
        "Waiting now",
        lines,
        f"{reverse('flow_board')}?location={location.pk}",
        "Open the flow board",
        "warn" if longest is not None and longest > 15 else "info",
    )


PANELS += [_schedule_today, _waiting_now]


def _waitlist_fits(user) -> Panel | None:
    """Times freed by recent cancellations that a waiting patient fits (front desk)."""
    location = _schedule_location(user)
    if location is None or not user.has_perm("scheduling.change_waitlistentry"):
        return None
    from medoffice.scheduling.waitlist_matching import freed_slots, matches_for_slots

    freed = freed_slots(location=location)
    matches = matches_for_slots(
        [f.slot for f in freed], not_for_patients=[f.appointment.patient_id for f in freed]
    )
    fitting = [(f, m) for f, m in zip(freed, matches, strict=True) if m]
    if not fitting:
        return None
    patients = {e.patient_id for _, m in fitting for e in m}
    times, people = len(fitting), len(patients)
    first, first_matches = fitting[0]
    lines = [
        f"{times} freed time{'s' if times != 1 else ''} at {location.name} "
        f"fit{'s' if times == 1 else ''} {people} waiting patient{'s' if people != 1 else ''}",
        f"First: {first.slot.local_start:%a %b} {first.slot.local_start.day}, "
        f"{first.slot.local_hours} with {first.slot.provider.schedule_name} "
        f"({len(first_matches)} waiting)",
    ]
    return Panel(
        "Waitlist: freed times",
        lines,
        f"{reverse('waitlist')}?location={location.pk}",
        "Open the waitlist",
        "warn",
    )


PANELS += [_waitlist_fits]
