"""The synthetic practice: deterministic, complete, valid, and only ever seeded once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from medoffice.core import roles
from medoffice.core.models import Location, Practice, User
from medoffice.core.validators import npi_check_digit_ok
from medoffice.demo import seed as seed_module
from medoffice.demo.context import HOME_ZONE
from medoffice.demo.seed import DEMO_PASSWORD, SeedError, seed_practice
from medoffice.patients.models import Coverage, Patient, Payer, mbi_ok, mrn_from_sequence
from medoffice.scheduling.models import Appointment, Provider, Room

SMALL = {"providers": 3, "patients": 50, "years": 1}
# The practice without its appointment history (tests/demo/test_history.py covers that).
NO_HISTORY = {**SMALL, "history": False}


def _snapshot(seed: int) -> dict:
    """Seed a small practice, read back what identifies it, and roll it all back."""
    with transaction.atomic():
        seed_practice(seed=seed, **NO_HISTORY)
        snapshot = {
            "patients": list(
                Patient.objects.order_by("mrn").values_list(
                    "mrn", "first_name", "last_name", "date_of_birth", "phone_mobile", "email"
                )
            ),
            "member_ids": [
                (c.patient.mrn, c.payer.name, c.order, c.member_id)
                for c in Coverage.objects.select_related("patient", "payer").order_by(
                    "patient__mrn", "order", "effective_date"
                )
            ],
            "providers": list(Provider.objects.order_by("npi").values_list("npi", "last_name")),
            "users": sorted(User.objects.values_list("username", flat=True)),
        }
        transaction.set_rollback(True)
    return snapshot


@pytest.fixture
def seeded(db):
    return seed_practice(seed=7, **NO_HISTORY)


def test_the_same_seed_gives_the_same_practice(db):
    first, second = _snapshot(11), _snapshot(11)

    assert first == second
    assert len(first["patients"]) == 50


def test_another_seed_gives_other_people(db):
    one, other = _snapshot(11), _snapshot(12)

    names = {p[1:3] for p in one["patients"]}
    assert len(names & {p[1:3] for p in other["patients"]}) < 5
    assert not {m[3] for m in one["member_ids"]} & {m[3] for m in other["member_ids"]}
    assert [p[0] for p in one["patients"]] == [p[0] for p in other["patients"]]  # MRNs in order


def test_the_practice_has_its_offices_rooms_payers_and_people(seeded):
    assert seeded.locations == Location.objects.count() >= 2
    assert len(set(Location.objects.values_list("time_zone", flat=True))) >= 2
    for location in Location.objects.all():
        assert location.rooms.filter(kind=Room.EXAM).count() >= 2
        assert location.providers.exists()
    assert sorted(Payer.objects.values_list("kind", flat=True)) == sorted(
        ["medicare", "medicaid", "commercial", "commercial", "commercial", "self_pay"]
    )
    assert Provider.objects.count() == seeded.providers == 3
    assert User.objects.count() == seeded.users == 3 + 20
    assert Patient.objects.count() == seeded.patients == 50
    assert Coverage.objects.count() == seeded.coverages
    assert seeded.years == 1


def test_every_role_has_a_login_and_the_well_known_ones_work(seeded):
    for role in roles.ROLES.values():
        assert User.objects.filter(groups__name=role.name).exists(), role.slug
    assert {role for _, role in seeded.logins} == {r.name for r in roles.ROLES.values()}
    assert seeded.password == DEMO_PASSWORD

    manager = User.objects.get(username="manager")
    assert manager.is_staff and not manager.is_superuser
    assert roles.roles_of(manager) == {roles.OFFICE_MANAGER}
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and roles.ADMIN in roles.roles_of(admin)
    assert len(set(User.objects.values_list("password", flat=True))) == 1  # one hash for all
    assert admin.check_password(DEMO_PASSWORD)


def test_the_demo_password_passes_the_password_rules(seeded):
    validate_password(DEMO_PASSWORD, user=User.objects.get(username="manager"))


def test_providers_log_in_as_themselves(seeded):
    for provider in Provider.objects.select_related("user"):
        assert provider.user is not None
        assert roles.roles_of(provider.user) == {roles.PROVIDER}
        assert provider.user.last_name == provider.last_name


def test_every_npi_is_valid_and_unique(seeded):
    npis = list(Provider.objects.values_list("npi", flat=True))
    npis.append(Practice.objects.get().group_npi)

    assert all(npi_check_digit_ok(npi) for npi in npis)
    assert len(set(npis)) == len(npis)


def test_everything_seeded_passes_model_validation(seeded):
    objects = [
        *Practice.objects.all(),
        *Location.objects.all(),
        *Payer.objects.all(),
        *Provider.objects.all(),
        *Room.objects.all(),
        *Patient.objects.all(),
        *Coverage.objects.select_related("payer"),
    ]
    problems = []
    for obj in objects:
        try:
            obj.full_clean()
        except ValidationError as exc:
            problems.append(f"{obj!r}: {exc.message_dict}")
    assert problems == []


def test_patients_written_in_bulk_are_as_a_save_would_store_them(seeded):
    """Search keys computed, member ids encrypted at rest and readable, ids sequenced on."""
    from django.db import connection

    for patient in Patient.objects.all():
        stored = {f: getattr(patient, f) for f in ("search_last", "search_first", "last_soundex")}
        patient.refresh_search_keys()
        assert stored == {f: getattr(patient, f) for f in stored}, patient.mrn
    coverage = Coverage.objects.select_related("payer").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT member_id FROM patients_coverage WHERE id = %s", [coverage.pk])
        at_rest = cursor.fetchone()[0]
    assert coverage.member_id and coverage.member_id not in at_rest
    assert Coverage.objects.filter(member_id_hash=coverage.member_id_hash).exists()
    later = Patient.objects.create(
        mrn=mrn_from_sequence(999_999),
        first_name="New",
        last_name="Person",
        date_of_birth=dt.date(1990, 1, 1),
        sex_at_birth="F",
        address1="1 Main St",
        city="Columbus",
        state="GA",
        zip="31901",
    )
    assert later.pk > max(p.pk for p in Patient.objects.exclude(pk=later.pk))


def test_coverages_are_ordered_and_dated_sensibly(seeded):
    today = timezone.localdate()
    for patient in Patient.objects.prefetch_related("coverages__payer"):
        coverages = list(patient.coverages.all())
        current = [c for c in coverages if c.is_active_on(today)]
        orders = sorted(c.order for c in current)
        assert orders == list(range(1, len(orders) + 1)), patient.mrn  # 1, or 1-2, never gaps
        for coverage in coverages:
            assert coverage.effective_date >= patient.date_of_birth
            assert coverage.end_date is None or coverage.end_date >= coverage.effective_date
            assert coverage.payer.kind != Payer.SELF_PAY
            if coverage.payer.kind == Payer.MEDICARE:
                assert mbi_ok(coverage.member_id)
            if coverage.order == Coverage.SECONDARY:
                primary = next(c for c in current if c.order == Coverage.PRIMARY)
                assert coverage.effective_date >= primary.effective_date


def test_a_second_seed_is_refused_and_changes_nothing(seeded):
    with pytest.raises(SeedError, match="already holds a practice; seed only an empty database"):
        seed_practice(seed=8, **NO_HISTORY)

    assert Practice.objects.count() == 1
    assert Patient.objects.count() == 50


def test_a_failure_midway_leaves_the_database_empty(db, monkeypatch):
    def broken(**_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(seed_module, "create_rooms", broken)

    with pytest.raises(RuntimeError):
        seed_practice(seed=1, **NO_HISTORY)
    assert not Practice.objects.exists()
    assert not Payer.objects.exists()
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("argument", "value"),
    [("providers", 0), ("patients", -1), ("years", 0), ("locations", 0), ("locations", 11)],
)
def test_out_of_range_arguments_are_named(db, argument, value):
    arguments = {**SMALL, "seed": 1, argument: value}

    with pytest.raises(SeedError, match=f"^{argument} must be"):
        seed_practice(**arguments)


def test_more_locations_open_satellite_offices_with_their_own_providers_and_patients(db):
    summary = seed_practice(seed=2, providers=10, patients=300, years=1, locations=5, history=False)

    assert summary.locations == Location.objects.count() == 5
    for location in Location.objects.all():
        assert location.providers.exists(), location.name
        assert location.rooms.filter(kind=Room.TELEHEALTH).count() == 1
    towns = set(Patient.objects.values_list("home_location__name", flat=True))
    assert {"Main", "Westside", "Opelika"} <= towns


def test_the_default_practice_looks_like_a_family_practice(db):
    """The full default seed, once: mix of payers, ages, channels, and a busy schedule
    (not its speed: see benchmarks/)."""
    summary = seed_practice(providers=8, patients=3000, years=2, seed=1, payments=False)
    today = timezone.localdate(timezone=HOME_ZONE)  # the day the ages were counted from
    visits = Appointment.objects.filter(start__lt=timezone.now() - dt.timedelta(days=1))
    kept = visits.exclude(status=Appointment.CANCELLED).count()
    assert 0.05 <= visits.filter(status=Appointment.NO_SHOW).count() / kept <= 0.15
    assert summary.appointments > 60_000  # eight providers, two years, most slots filled
    assert summary.future_appointments > 3_000

    assert (summary.patients, summary.providers, summary.locations) == (3000, 8, 2)
    assert User.objects.count() == 8 + 20
    patients = list(Patient.objects.all())
    ages = [p.age_on(today) for p in patients]
    assert min(ages) == 0 and max(ages) == 95

    uninsured = Patient.objects.filter(coverages__isnull=True).count()
    assert 0.05 <= uninsured / 3000 <= 0.11  # about 8 % self-pay
    primary = Coverage.objects.filter(order=Coverage.PRIMARY, end_date__isnull=True)
    by_kind = {
        kind: primary.filter(payer__kind=kind).count()
        for kind in (Payer.MEDICARE, Payer.MEDICAID, Payer.COMMERCIAL)
    }
    assert by_kind[Payer.COMMERCIAL] > by_kind[Payer.MEDICARE] > 0
    assert by_kind[Payer.MEDICAID] > 0
    born_65_years_ago = today.replace(year=today.year - 65) - dt.timedelta(days=1)
    seniors = Patient.objects.filter(date_of_birth__lt=born_65_years_ago)
    on_medicare = seniors.filter(coverages__payer__kind=Payer.MEDICARE).distinct().count()
    assert on_medicare / seniors.count() > 0.9
    assert Coverage.objects.filter(order=Coverage.SECONDARY).count() > 100

    channels = {
        c: Patient.objects.filter(preferred_contact=c).count()
        for c in ["sms", "email", "voice", "mail"]
    }
    assert channels["sms"] > channels["email"] > channels["voice"] > channels["mail"] > 0
    for channel in ("sms", "email", "voice"):
        assert not Patient.objects.filter(
            preferred_contact=channel, **{f"consent_{channel}": False}
        ).exists()
    assert all(len(p.phone_mobile) in (0, 10) for p in patients)
