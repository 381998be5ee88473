"""Wait-time statistics: how long patients spend in each step, per provider, visit type and hour.

One query reads the flow stamps of the range's visits (``values_list``, no
model instances); Python groups them and computes count, mean, median and
90th percentile in minutes. Percentiles interpolate linearly between the
two nearest values, exactly as PostgreSQL's ``percentile_cont`` does, so
the figures can be checked against SQL (tests do). Portable across SQLite
and PostgreSQL, and fast enough for a year of one location (tens of
thousands of visits) in well under a second.

The no-show rate of the range is no-shows divided by the visits that were
due: not cancelled, and their start already past.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from medoffice.core.models import Location
from medoffice.scheduling.models import Appointment, Provider
from medoffice.scheduling.selectors import location_day_bounds

# (key, label, from stamp, to stamp)
STEPS: tuple[tuple[str, str, str, str], ...] = (
    ("arrival_to_roomed", "Arrival → roomed", "arrived_at", "roomed_at"),
    ("roomed_to_provider", "Roomed → with provider", "roomed_at", "with_provider_at"),
    ("provider_to_checkout", "With provider → checked out", "with_provider_at", "checked_out_at"),
    ("arrival_to_checkout", "Arrival → checked out", "arrived_at", "checked_out_at"),
)
STEP_KEYS = tuple(s[0] for s in STEPS)
# The steps where the patient waits (the rest is care); pages highlight long ones.
WAIT_STEPS = frozenset({"arrival_to_roomed", "roomed_to_provider"})
STEP_LABELS = {s[0]: s[1] for s in STEPS}
_STAMPS = ("arrived_at", "roomed_at", "with_provider_at", "checked_out_at")


@dataclass(frozen=True)
class Summary:
    """Count, mean, median and 90th percentile of a list of durations, in minutes."""

    count: int
    mean: float | None
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: list[float]) -> Summary:
        if not values:
            return cls(0, None, None, None)
        ordered = sorted(values)
        return cls(
            count=len(ordered),
            mean=round(math.fsum(ordered) / len(ordered), 1),
            median=round(percentile(ordered, 0.5), 1),
            p90=round(percentile(ordered, 0.9), 1),
        )

    def as_dict(self) -> dict:
        return {"count": self.count, "mean": self.mean, "median": self.median, "p90": self.p90}


def percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (PostgreSQL's ``percentile_cont``)."""
    if not ordered:
        raise ValueError("no values")
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class GroupRow:
    """One provider, visit type or hour of the day, with a summary per step."""

    key: object
    label: str
    visits: int = 0
    steps: dict[str, Summary] = field(default_factory=dict)

    def step_list(self) -> list[Summary]:
        return [self.steps[k] for k in STEP_KEYS]

    def cells(self) -> list[tuple[Summary, bool]]:
        """Each step's summary and whether it is a wait (for highlighting)."""
        return [(self.steps[k], k in WAIT_STEPS) for k in STEP_KEYS]

    def labelled_steps(self) -> list[tuple[str, Summary]]:
        return [(STEP_LABELS[k], self.steps[k]) for k in STEP_KEYS]


@dataclass(frozen=True)
class NoShowRate:
    no_shows: int
    due: int
    cancelled: int
    left_without_being_seen: int

    @property
    def rate(self) -> float | None:
        """No-shows as a share of the visits that were due (0.0–1.0), None when none were."""
        return round(self.no_shows / self.due, 4) if self.due else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{self.rate * 100:.1f} %"


@dataclass
class WaitTimes:
    location: Location
    start: dt.date
    end: dt.date
    visits: int
    overall: GroupRow
    by_provider: list[GroupRow]
    by_type: list[GroupRow]
    by_hour: list[GroupRow]
    no_show: NoShowRate

    @property
    def groups(self) -> list[tuple[str, str, list[GroupRow]]]:
        return [
            ("provider", "Per provider", self.by_provider),
            ("appointment_type", "Per visit type", self.by_type),
            ("hour", "Per hour of arrival", self.by_hour),
        ]


def _provider_label(last: str, first: str, credentials: str) -> str:
    if credentials in Provider.DOCTOR_CREDENTIALS:
        return f"Dr. {last}"
    return f"{first} {last}, {credentials}"


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 60


def wait_times(
    *, location: Location, start: dt.date, end: dt.date, now: dt.datetime | None = None
) -> WaitTimes:
    """Wait-time statistics of the visits at ``location`` from ``start`` to ``end`` (local days,
    both included), plus the no-show rate of the range."""
    now = now or timezone.now()
    zone = location.zone
    first, _ = location_day_bounds(location, start)
    _, last = location_day_bounds(location, end)
    rows = (
        Appointment.objects.filter(location=location, start__gte=first, start__lt=last)
        .order_by()
        .values_list(
            "status",
            "start",
            *_STAMPS,
            "provider_id",
            "provider__last_name",
            "provider__first_name",
            "provider__credentials",
            "appointment_type_id",
            "appointment_type__name",
        )
    )
    overall: dict[str, list[float]] = defaultdict(list)
    grouped: dict[str, dict[object, dict[str, list[float]]]] = {
        "provider": defaultdict(lambda: defaultdict(list)),
        "type": defaultdict(lambda: defaultdict(list)),
        "hour": defaultdict(lambda: defaultdict(list)),
    }
    visits: dict[str, dict[object, int]] = {k: defaultdict(int) for k in grouped}
    labels: dict[str, dict[object, str]] = {k: {} for k in grouped}
    no_shows = due = cancelled = left = arrived_visits = 0
    for row in rows.iterator(chunk_size=5000):
        status, begins, arrived, roomed, with_provider, checked_out = row[:6]
        provider_id, last_name, first_name, credentials, type_id, type_name = row[6:]
        if status == Appointment.CANCELLED:
            cancelled += 1
            continue
        if begins < now:
            due += 1
        if status == Appointment.NO_SHOW:
            no_shows += 1
            continue
        if status == Appointment.LEFT_WITHOUT_BEING_SEEN:
            left += 1
        if arrived is None:
            continue
        arrived_visits += 1
        stamps = dict(zip(_STAMPS, (arrived, roomed, with_provider, checked_out), strict=True))
        hour = arrived.astimezone(zone).hour
        keys = {"provider": provider_id, "type": type_id, "hour": hour}
        labels["provider"][provider_id] = _provider_label(last_name, first_name, credentials)
        labels["type"][type_id] = type_name
        labels["hour"][hour] = f"{hour}:00–{hour}:59"
        for group, key in keys.items():
            visits[group][key] += 1
        for step, _label, a, b in STEPS:
            minutes = _minutes(stamps[a], stamps[b])
            if minutes is None:
                continue
            overall[step].append(minutes)
            for group, key in keys.items():
                grouped[group][key][step].append(minutes)

    def rows_of(group: str, order) -> list[GroupRow]:
        out = [
            GroupRow(
                key=key,
                label=labels[group][key],
                visits=count,
                steps={s: Summary.of(grouped[group][key].get(s, [])) for s in STEP_KEYS},
            )
            for key, count in visits[group].items()
        ]
        return sorted(out, key=order)

    return WaitTimes(
        location=location,
        start=start,
        end=end,
        visits=arrived_visits,
        overall=GroupRow(
            key="all",
            label="All visits",
            visits=arrived_visits,
            steps={s: Summary.of(overall.get(s, [])) for s in STEP_KEYS},
        ),
        by_provider=rows_of("provider", lambda r: r.label),
        by_type=rows_of("type", lambda r: r.label),
        by_hour=rows_of("hour", lambda r: r.key),
        no_show=NoShowRate(
            no_shows=no_shows, due=due, cancelled=cancelled, left_without_being_seen=left
        ),
    )


def as_csv_rows(report: WaitTimes) -> list[list]:
    """The report as rows for a CSV file: one row per group and step."""
    out: list[list] = [
        ["group", "value", "step", "visits", "count", "mean_min", "median_min", "p90_min"]
    ]
    groups = [("all", [report.overall])] + [(key, rows) for key, _t, rows in report.groups]
    for group, rows in groups:
        for row in rows:
            for step in STEP_KEYS:
                s = row.steps[step]
                out.append(
                    [
                        group,
                        row.label,
                        step,
                        row.visits,
                        s.count,
                        "" if s.mean is None else s.mean,
                        "" if s.median is None else s.median,
                        "" if s.p90 is None else s.p90,
                    ]
                )
    n = report.no_show
    out.append(["no_show_rate", "", "", n.due, n.no_shows, "", "", ""])
    return out


def as_json(report: WaitTimes) -> dict:
    def group(rows: list[GroupRow]) -> list[dict]:
        return [
            {
                "key": r.key,
                "label": r.label,
                "visits": r.visits,
                "steps": {k: r.steps[k].as_dict() for k in STEP_KEYS},
            }
            for r in rows
        ]

    n = report.no_show
    return {
        "location": report.location.pk,
        "start": report.start,
        "end": report.end,
        "visits": report.visits,
        "steps": {k: report.overall.steps[k].as_dict() for k in STEP_KEYS},
        "by_provider": group(report.by_provider),
        "by_appointment_type": group(report.by_type),
        "by_hour": group(report.by_hour),
        "no_show": {
            "no_shows": n.no_shows,
            "due": n.due,
            "rate": n.rate,
            "cancelled": n.cancelled,
            "left_without_being_seen": n.left_without_being_seen,
        },
    }
