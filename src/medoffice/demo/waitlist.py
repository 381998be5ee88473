"""A few patients on the waitlist: most still waiting for an earlier visit, some taken off."""

from __future__ import annotations

import datetime as dt

from medoffice.core.models import Location
from medoffice.demo.context import HOME_ZONE, SeedContext, weighted
from medoffice.demo.schedule import EST, NP, PE, PROC, SchedulePlan
from medoffice.scheduling.models import Provider, WaitlistEntry, weekday_mask

NOTES = (
    ("", 0.45),
    ("Can come on short notice", 0.2),
    ("Wants it before travelling next month", 0.1),
    ("Prefers the first visit of the day", 0.1),
    ("Needs an interpreter (Spanish)", 0.05),
    ("Call the mobile number, not home", 0.1),
)
REMOVED_REASONS = ("Booked a time that suits", "No longer needed", "Went to urgent care")
MAX_ENTRIES = 40


def create_waitlist(
    *,
    ctx: SeedContext,
    plan: SchedulePlan,
    providers: list[Provider],
    sites: dict[int, list[Location]],
    patient_ids: list[int],
    front_desk: list[int],
) -> int:
    """Waitlist entries (their number grows with the practice, up to 40); returns how many."""
    if not patient_ids:
        return 0
    rng = ctx.rng("waitlist")
    midnight = dt.datetime.combine(plan.today, dt.time(0), tzinfo=HOME_ZONE)
    count = min(MAX_ENTRIES, 4 + len(providers))
    entries: list[WaitlistEntry] = []
    chosen: list[list[Provider]] = []
    for n in range(count):
        provider = rng.choice(providers)
        with_provider = rng.random() < 0.6
        location = sites[provider.pk][0] if with_provider or rng.random() < 0.5 else None
        created_at = midnight - dt.timedelta(days=rng.randint(1, 25), minutes=rng.randint(0, 600))
        removed = n % 5 == 4  # every fifth entry was taken off the list
        earliest = plan.today + dt.timedelta(days=rng.randint(1, 5))
        if removed:
            earliest = (created_at + dt.timedelta(days=1)).date()
        days = rng.sample(range(5), rng.randint(2, 3)) if rng.random() < 0.5 else []
        entry = WaitlistEntry(
            patient_id=rng.choice(patient_ids),
            appointment_type=plan.types[weighted(rng, [(NP, 2), (PE, 3), (EST, 4), (PROC, 1)])],
            location=location,
            earliest_date=earliest,
            latest_date=earliest + dt.timedelta(days=rng.randint(14, 45)),
            preferred_weekdays=weekday_mask(days),
            preferred_time=weighted(rng, [("any", 0.5), ("morning", 0.3), ("afternoon", 0.2)]),
            note=weighted(rng, NOTES),
            created_by_id=rng.choice(front_desk) if front_desk else None,
            created_at=created_at,
        )
        if removed:
            entry.status = WaitlistEntry.REMOVED
            removed_at = created_at + dt.timedelta(hours=rng.randint(4, 100))
            entry.removed_at = min(removed_at, midnight - dt.timedelta(minutes=1))
            entry.removed_by_id = entry.created_by_id
            entry.removed_reason = rng.choice(REMOVED_REASONS)
        entries.append(entry)
        chosen.append([provider] if with_provider else [])
    WaitlistEntry.objects.bulk_create(entries)
    through = WaitlistEntry.providers.through
    through.objects.bulk_create(
        [
            through(waitlistentry_id=entry.pk, provider_id=p.pk)
            for entry, wanted in zip(entries, chosen, strict=True)
            for p in wanted
        ]
    )
    return len(entries)
