"""Helpers for the schedule page tests: a clock stopped at 10:30 today in Chicago, an office open
every day (so "today" tests run on any weekday), and the flow steps of a visit.

Plain functions, not fixtures: each test module wires the few fixtures it needs.
"""

from __future__ import annotations

import datetime as dt
import html
import re

from django.utils import timezone

from medoffice.core.models import AccessLogEntry
from medoffice.scheduling.services import record_flow_step
from tests.scheduling.conftest import CHICAGO, at

NOW_HHMM = "10:30"


def stop_clock(monkeypatch, day: dt.date, hhmm: str = NOW_HHMM) -> dt.datetime:
    """Make ``django.utils.timezone.now()`` answer ``day`` at ``hhmm`` in Chicago."""
    moment = at(day, hhmm).astimezone(dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def today_in_chicago() -> dt.date:
    return dt.datetime.now(CHICAGO).date()


def open_every_day(make_template, provider, location, *, start="08:00", end="17:00", **kw):
    """Blocks for ``provider`` at ``location`` on all seven weekdays."""
    return [make_template(provider, location, d, start, end, **kw) for d in range(7)]


def walk(appt, steps: list[tuple[str, str]], actor, day: dt.date, room=None):
    """Record flow steps [("arrived", "9:50"), ("roomed", "10:02") …] at Chicago times."""
    for step, hhmm in steps:
        record_flow_step(
            actor=actor,
            appointment=appt,
            step=step,
            at=at(day, hhmm),
            room=room if step == "roomed" else None,
        )
    appt.refresh_from_db()
    return appt


def log_rows(**filters) -> list[AccessLogEntry]:
    return list(AccessLogEntry.objects.filter(**filters).order_by("position"))


# Headers that make a test-client request look like htmx's.
HX = {"HTTP_HX_REQUEST": "true"}


def hx_target(target: str) -> dict:
    return {**HX, "HTTP_HX_TARGET": target}


def page_text(response) -> str:
    """What a person reads on the page: tags and scripts gone, entities decoded, spaces folded."""
    page = re.sub(r"<script.*?</script>", " ", response.content.decode(), flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
