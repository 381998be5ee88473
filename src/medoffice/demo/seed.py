"""``seed_practice``: one call that fills an empty database with a synthetic practice.

The same arguments give the same practice (names, MRNs, NPIs, member ids);
dates are counted back from the day of the seed. Everything is created in one
transaction, so a failure leaves the database as it was. Each part draws from
its own random stream (:meth:`SeedContext.rng`), so a later part (charges,
claims...) leaves what exists in its shape.

Parts, in order: the practice and its offices (``locations``), payers,
providers and staff, rooms, patients with coverages, the schedule set-up
(:mod:`.schedule`), the appointment history and the weeks ahead
(:mod:`.history`), and the waitlist.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TextIO

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from medoffice.core import roles
from medoffice.core.models import Location, Practice, User
from medoffice.demo.billing import create_billing
from medoffice.demo.bulk import RowWriter, bulk_load, next_id, roomy_sqlite_cache
from medoffice.demo.context import SeedContext
from medoffice.demo.coverages import CoverageMaker
from medoffice.demo.history import HistorySummary, PatientFacts, Staff, make_history
from medoffice.demo.messaging import create_messaging
from medoffice.demo.patients import draw_patients
from medoffice.demo.practice import (
    MAX_LOCATIONS,
    PracticeParts,
    create_payers,
    create_practice,
    create_rooms,
)
from medoffice.demo.remittances import RemitSummary, create_remittances
from medoffice.demo.schedule import create_schedule
from medoffice.demo.staff import create_people
from medoffice.demo.waitlist import create_waitlist
from medoffice.patients.models import Coverage, Patient
from medoffice.scheduling.models import Provider

# Every demo login shares this password (it passes Django's password validators).
DEMO_PASSWORD = "medoffice-demo-2026"  # noqa: S105 - published on purpose, demo data only

DEFAULT_PROVIDERS = 8
DEFAULT_PATIENTS = 3000
DEFAULT_YEARS = 2
DEFAULT_SEED = 1
DEFAULT_LOCATIONS = 2
# Generous ceilings, so a typo (an extra zero or three) fails fast instead of running for hours.
MAX_PROVIDERS = 200
MAX_PATIENTS = 500_000
MAX_YEARS = 20
# Every column of a patient but the id (the seed gives ids itself).
PATIENT_FIELDS = [f.name for f in Patient._meta.concrete_fields if not f.primary_key]


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
    appointment_types: int = 0
    templates: int = 0  # weekly availability blocks
    exceptions: int = 0  # holidays, vacations, meetings, blocked time
    appointments: int = 0
    past_appointments: int = 0
    future_appointments: int = 0
    events: int = 0
    waitlist: int = 0
    steps: list[tuple[str, float]] = field(default_factory=list)  # (part, seconds)
    charges: int = 0  # visits with charges
    claims: int = 0
    remittance_files: int = 0  # 835s posted
    denied_claims: int = 0
    underpaid_claims: int = 0
    patient_payments: int = 0


def check_arguments(*, providers: int, patients: int, years: int, locations: int = 2) -> None:
    """Raise :class:`SeedError` naming the first argument out of range."""
    limits = (
        ("providers", providers, 1, MAX_PROVIDERS),
        ("patients", patients, 0, MAX_PATIENTS),
        ("years", years, 1, MAX_YEARS),
        ("locations", locations, 1, MAX_LOCATIONS),
    )
    for name, value, low, high in limits:
        if not isinstance(value, int) or not low <= value <= high:
            raise SeedError(f"{name} must be a whole number from {low} to {high}, not {value!r}")


def seed_practice(
    *,
    providers: int,
    patients: int,
    years: int,
    seed: int,
    stdout: TextIO | None = None,
    locations: int = DEFAULT_LOCATIONS,
    history: bool = True,
    payments: bool = True,
) -> SeedSummary:
    """Create the synthetic practice in an empty database and say what was made.

    Raises :class:`SeedError` when the database already holds a practice or an
    argument is out of range. ``stdout``, when given, receives a line per step
    (with the seconds the step before took) and progress lines for the history.
    ``history=False`` stops after the schedule set-up: no appointments, no waitlist
    (for tests that need only the practice); ``payments=False`` leaves the claims
    as the history left them, without the payers' 835s and the books (for tests
    about the schedule, which need not wait for posting).
    """
    check_arguments(providers=providers, patients=patients, years=years, locations=locations)
    started = time.perf_counter()
    steps: list[tuple[str, float]] = []
    current: list = []

    def say(text: str) -> None:
        if stdout is not None:
            stdout.write(text + "\n")
            if hasattr(stdout, "flush"):
                stdout.flush()

    def step(text: str) -> None:
        now = time.perf_counter()
        if current:
            steps.append((current[0], round(now - current[1], 2)))
            say(f"  ({steps[-1][1]:.1f} s)")
        current[:] = [text, now]
        if text:
            say(text)

    with transaction.atomic():
        if Practice.objects.exists():
            raise SeedError("the database already holds a practice; seed only an empty database")
        ctx = SeedContext(seed=seed, now=timezone.now(), years=years)
        npis: set[str] = set()

        step(f"practice, {locations} locations and payers")
        parts = create_practice(ctx=ctx, npis=npis, locations=locations)
        payers = create_payers()

        step(f"{providers} providers, the office staff and the rooms")
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

        step(f"{patients:,} patients and their coverages")
        patient_count, coverage_count, facts = _create_patients(
            ctx=ctx, count=patients, parts=parts, maker=CoverageMaker(ctx=ctx, payers=payers)
        )

        step("appointment types, weekly templates, holidays and vacations")
        sites = _provider_sites(people.providers, parts.locations)
        plan = create_schedule(
            ctx=ctx, providers=people.providers, sites=sites, locations=parts.locations
        )

        made = HistorySummary()
        waitlist = 0
        paid = RemitSummary()
        if history:
            step(f"{years} year{'s' if years != 1 else ''} of appointments and the next 60 days")
            staff = _staff(people.providers, parts.locations)
            made = make_history(
                ctx=ctx,
                plan=plan,
                locations=parts.locations,
                sites=sites,
                rooms=rooms,
                patients=facts,
                staff=staff,
                say=say,
            )

            step("the waitlist")
            waitlist = create_waitlist(
                ctx=ctx,
                plan=plan,
                providers=people.providers,
                sites=sites,
                patient_ids=[p.id for p in facts if p.active],
                front_desk=sorted({u for ids in staff.front_desk.values() for u in ids}),
            )

            step("fee schedule, charges and claims")
            billed = create_billing(ctx=ctx, say=say)

            if payments:
                step("the payers' 835s posted, patient payments, months closed")
                paid = create_remittances(ctx=ctx, say=say)

            step("reminder rules and a month of reminders")
            create_messaging(ctx=ctx, plan=plan)
        step("")

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
        appointment_types=len(plan.types),
        templates=plan.templates,
        exceptions=plan.exceptions,
        appointments=made.appointments,
        past_appointments=made.past,
        future_appointments=made.future,
        events=made.events,
        waitlist=waitlist,
        steps=steps,
        charges=billed.charges if history else 0,
        claims=billed.claims if history else 0,
        remittance_files=paid.files,
        denied_claims=paid.denied,
        underpaid_claims=paid.underpaid,
        patient_payments=paid.patient_payments,
    )


def _provider_sites(providers: list[Provider], locations: list[Location]) -> dict[int, list]:
    """Each provider's offices, the first one first (the order they were linked in)."""
    by_id = {loc.pk: loc for loc in locations}
    sites: dict[int, list[Location]] = {p.pk: [] for p in providers}
    links = Provider.locations.through.objects.filter(provider__in=providers).order_by("pk")
    for provider_id, location_id in links.values_list("provider_id", "location_id"):
        sites[provider_id].append(by_id[location_id])
    return sites


def _staff(providers: list[Provider], locations: list[Location]) -> Staff:
    """The user ids of the front desk and the assistants at each office (everyone's if none)."""

    def by_office(role: str) -> dict[int, list[int]]:
        people = list(
            User.objects.filter(groups__name=roles.ROLES[role].name)
            .order_by("pk")
            .values_list("pk", "home_location_id")
        )
        every = [pk for pk, _ in people]
        return {loc.pk: [pk for pk, home in people if home == loc.pk] or every for loc in locations}

    return Staff(
        front_desk=by_office(roles.FRONT_DESK),
        assistants=by_office(roles.MEDICAL_ASSISTANT),
        provider_user={p.pk: p.user_id for p in providers},
    )


def _create_patients(
    *, ctx: SeedContext, count: int, parts: PracticeParts, maker: CoverageMaker
) -> tuple[int, int, list[PatientFacts]]:
    """Patients with ids 1..count (after any existing), each followed by their coverages.

    Written in bulk (see :mod:`.bulk`); the search keys a save would compute are
    computed here. Returns both counts, and what the history needs to know of
    each patient.
    """
    patients = RowWriter(Patient, ["id", *PATIENT_FIELDS])
    coverages = RowWriter(Coverage)
    facts: list[PatientFacts] = []
    first_id = next_id(Patient)
    with bulk_load(Patient, Coverage), roomy_sqlite_cache():
        for number, drawn in enumerate(
            draw_patients(
                ctx=ctx,
                count=count,
                location_for_state=parts.location_for_state,
                location_for_town=parts.location_for_town,
            )
        ):
            patient = drawn.patient
            patient.pk = first_id + number
            patient.refresh_search_keys()
            patients.add_instance(patient)
            for coverage in maker.coverages_for(drawn):
                coverage.patient_id = patient.pk
                coverages.add_instance(coverage)
            facts.append(
                PatientFacts(patient.pk, patient.home_location_id, drawn.age, patient.active)
            )
        patients.close()
        coverages.close()
    return len(facts), coverages.written, facts


def summary_text(summary: SeedSummary) -> str:
    """The lines a person reads after seeding: what was made and how to log in."""
    width = max((len(u) for u, _ in summary.logins), default=0)
    lines = [
        f"Seeded {summary.practice} (seed {summary.seed}) in {summary.seconds:.1f} s:",
        f"  {summary.locations} locations, {summary.providers} providers, {summary.rooms} rooms, "
        f"{summary.users} users, {summary.payers} payers, {summary.patients} patients, "
        f"{summary.coverages} coverages; history span {summary.years} years",
        f"  {summary.appointment_types} appointment types, {summary.templates} weekly blocks, "
        f"{summary.exceptions} schedule exceptions; {summary.appointments} appointments "
        f"({summary.past_appointments} past, {summary.future_appointments} from today on) "
        f"with {summary.events} events; {summary.waitlist} waitlist entries",
        f"  {summary.charges} visits charged, {summary.claims} claims; "
        f"{summary.remittance_files} payer remittances (835) posted with "
        f"{summary.denied_claims} denied and {summary.underpaid_claims} underpaid claims; "
        f"{summary.patient_payments} patient payments",
        f"Logins (password {summary.password}):",
        *(f"  {username.ljust(width)}  {role}" for username, role in summary.logins),
    ]
    return "\n".join(lines)
