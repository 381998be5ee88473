"""``seed_practice``: one call that fills an empty database with a synthetic practice.

The same arguments give the same practice (names, MRNs, NPIs, member ids);
dates are counted back from the day of the seed. Everything is created in one
transaction, so a failure leaves the database as it was. Later issues add
their own parts (appointment history, charges...) here, each from its own
random stream (:meth:`SeedContext.rng`), so what exists keeps its shape.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from medoffice.core.models import Practice
from medoffice.demo.context import SeedContext
from medoffice.demo.coverages import CoverageMaker
from medoffice.demo.patients import draw_patients
from medoffice.demo.practice import PracticeParts, create_payers, create_practice, create_rooms
from medoffice.demo.staff import create_people
from medoffice.patients.models import Coverage, Patient
from medoffice.scheduling.models import Provider

# Every demo login shares this password (it passes Django's password validators).
DEMO_PASSWORD = "medoffice-demo-2026"  # noqa: S105 - published on purpose, demo data only

DEFAULT_PROVIDERS = 8
DEFAULT_PATIENTS = 3000
DEFAULT_YEARS = 2
DEFAULT_SEED = 1
# Generous ceilings, so a typo (an extra zero or three) fails fast instead of running for hours.
MAX_PROVIDERS = 200
MAX_PATIENTS = 500_000
MAX_YEARS = 20
BATCH = 1000


class SeedError(Exception):
    """The practice cannot be seeded (the database is not empty, or an argument is out of range)."""


@dataclass(frozen=True)
class SeedSummary:
    """What :func:`seed_practice` created, and how to log in to it."""

    practice: str
    seed: int
    years: int
    locations: int
    providers: int
    rooms: int
    users: int
    payers: int
    patients: int
    coverages: int
    seconds: float
    password: str = DEMO_PASSWORD
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, role name)


def check_arguments(*, providers: int, patients: int, years: int) -> None:
    """Raise :class:`SeedError` naming the first argument out of range."""
    limits = (
        ("providers", providers, 1, MAX_PROVIDERS),
        ("patients", patients, 0, MAX_PATIENTS),
        ("years", years, 1, MAX_YEARS),
    )
    for name, value, low, high in limits:
        if not isinstance(value, int) or not low <= value <= high:
            raise SeedError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


def seed_practice(
    *, providers: int, patients: int, years: int, seed: int, stdout: TextIO | None = None
) -> SeedSummary:
    """Create the synthetic practice in an empty database and say what was made.

    Raises :class:`SeedError` when the database already holds a practice or an
    argument is out of range. ``stdout``, when given, receives a line per step.
    """
    check_arguments(providers=providers, patients=patients, years=years)
    started = time.perf_counter()

    def step(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")

    with transaction.atomic():
        if Practice.objects.exists():
            raise SeedError("the database already holds a practice; seed only an empty database")
        ctx = SeedContext(seed=seed, now=timezone.now(), years=years)
        npis: set[str] = set()

        step("practice, locations and payers")
        parts = create_practice(ctx=ctx, npis=npis)
        payers = create_payers()

        step(f"{providers} providers and the office staff")
        people = create_people(
            ctx=ctx,
            provider_count=providers,
            locations=parts.locations,
            password_hash=make_password(DEMO_PASSWORD),
            npis=npis,
        )
        providers_at = dict(
            Provider.locations.through.objects.values("location_id")
            .annotate(n=Count("provider_id"))
            .values_list("location_id", "n")
        )
        rooms = create_rooms(locations=parts.locations, providers_at=providers_at)

        step(f"{patients} patients and their coverages")
        patient_count, coverage_count = _create_patients(
            ctx=ctx, count=patients, parts=parts, maker=CoverageMaker(ctx=ctx, payers=payers)
        )

    return SeedSummary(
        practice=parts.practice.name,
        seed=seed,
        years=years,
        locations=len(parts.locations),
        providers=len(people.providers),
        rooms=len(rooms),
        users=len(people.users),
        payers=len(payers),
        patients=patient_count,
        coverages=coverage_count,
        seconds=round(time.perf_counter() - started, 2),
        logins=people.logins,
    )


def _create_patients(
    *, ctx: SeedContext, count: int, parts: PracticeParts, maker: CoverageMaker
) -> tuple[int, int]:
    """Patients in batches, each batch's coverages right after it; returns both counts."""
    patients: list[Patient] = []
    coverages: list[Coverage] = []
    made_patients = made_coverages = 0

    def flush() -> None:
        nonlocal made_patients, made_coverages
        Patient.objects.bulk_create(patients)  # sets each patient's pk for its coverages
        for coverage in coverages:
            coverage.patient_id = coverage.patient.pk
        Coverage.objects.bulk_create(coverages)
        made_patients += len(patients)
        made_coverages += len(coverages)
        patients.clear()
        coverages.clear()

    for drawn in draw_patients(ctx=ctx, count=count, location_for_state=parts.location_for_state):
        patients.append(drawn.patient)
        coverages.extend(maker.coverages_for(drawn))
        if len(patients) >= BATCH:
            flush()
    flush()
    return made_patients, made_coverages


def summary_text(summary: SeedSummary) -> str:
    """The lines a person reads after seeding: what was made and how to log in."""
    width = max((len(u) for u, _ in summary.logins), default=0)
    lines = [
        f"Seeded {summary.practice} (seed {summary.seed}) in {summary.seconds:.1f} s:",
        f"  {summary.locations} locations, {summary.providers} providers, {summary.rooms} rooms, "
        f"{summary.users} users, {summary.payers} payers, {summary.patients} patients, "
        f"{summary.coverages} coverages; history span {summary.years} years",
        f"Logins (password {summary.password}):",
        *(f"  {username.ljust(width)}  {role}" for username, role in summary.logins),
    ]
    return "\n".join(lines)
