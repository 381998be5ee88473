"""Scenario 3's month, made through the office's own services: what Sam sent two weeks ago and
what came back.

``sent_month`` registers 41 insured patients (Mrs. Mei Lee among them) with Peachtree Health
Plan, books and walks their visits through the flow, enters the charges, builds, scrubs and
marks the claims ready, and sends them as one 837P batch. ``answers`` then writes what the
clearinghouse and the payer return, as files in a folder: the 999 and the 277CA accepting
every claim, and the payer's 835 (through the EDI package's own writer) in which

* 35 claims are paid at the contracted rate (three with a deductible to the patient),
* Mrs. Lee's is paid at the contracted rate less her 20 % coinsurance (PR-2),
* 3 lines are paid below the contracted rate (7.00, 7.00 and 10.00 short),
* one claim is denied for a missing authorization (CO-197) and one for timely filing (CO-29),

and the check (BPR) is the sum of what the claims were paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from medoffice.billing.models import Claim, ClaimBatch
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.charges import LineInput, enter_charges
from medoffice.billing.services.claims import build_claim, mark_scrubbed_ready
from medoffice.billing.services.fee_schedules import set_payer_fee
from medoffice.billing.services.scrubber import scrub_claims
from medoffice.edi.x835.writer import demo_envelope, write_835
from medoffice.patients.models import Coverage, Patient, Payer
from medoffice.patients.services.coverages import add_coverage
from medoffice.patients.services.patients import register_patient
from medoffice.scheduling.models import Appointment, AppointmentType, Room
from medoffice.scheduling.services import book_appointment, record_flow_step
from tests.billing.conftest import services  # noqa: F401 - fixture
from tests.billing.test_acknowledgements import x999
from tests.billing.test_batches import submission  # noqa: F401 - fixture
from tests.billing.x835text import claim_payment, line, remittance
from tests.edi.x12text import interchange
from tests.patients.conftest import commercial_payer  # noqa: F401 - fixture
from tests.scheduling.conftest import CHICAGO, make_provider, provider  # noqa: F401 - fixtures

# Peachtree Health Plan's contract: what it allows per service, from 2024.
CONTRACT = {
    "99213": Decimal("92.00"),
    "99214": Decimal("138.00"),
    "11102": Decimal("96.00"),
    "36415": Decimal("9.00"),
    "87880": Decimal("21.00"),
    "93000": Decimal("36.00"),
    "94010": Decimal("42.00"),
}
COINSURANCE = Decimal("0.20")
DEDUCTIBLE = Decimal("40.00")
# (code, paid) of the three lines the payer paid below the contract.
SHORT_PAID = [
    ("99213", Decimal("85.00")),
    ("99213", Decimal("85.00")),
    ("99214", Decimal("128.00")),
]
TRACE = "CHK88104417"

FIRST_NAMES = [
    "Ana", "Ben", "Carla", "Dev", "Elena", "Farid", "Gina", "Hugo", "Ines", "Jon",
    "Kira", "Luis", "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara",
]  # fmt: skip
LAST_NAMES = ["Abbott", "Brandt", "Castillo", "Dubois", "Eriksen"]  # fmt: skip
DIAGNOSES = [["I10"], ["E11.9", "I10"], ["J06.9"], ["E78.5"], ["K21.9"]]


@dataclass
class Month:
    """What went out: the batch, its claims by role, and the people in the scenario."""

    batch: ClaimBatch | None
    lee: Patient
    lee_claim: Claim
    auth_denied: Claim
    late: Claim
    short: list[Claim]
    deductible: list[Claim]
    ordinary: list[Claim]
    payer: Payer

    @property
    def claims(self) -> list[Claim]:
        return [
            self.lee_claim, self.auth_denied, self.late, *self.short, *self.deductible,
            *self.ordinary,
        ]  # fmt: skip


@dataclass
class Answers:
    """The three files that came back, and the figures the office should see."""

    ack_999: Path
    ack_277: Path
    era: Path
    check_amount: Decimal
    denied: Decimal
    lee_coinsurance: Decimal
    short_total: Decimal


def _patient(actor, n: int, first: str, last: str, payer: Payer, sex: str = "") -> Patient:
    patient = register_patient(
        actor=actor,
        first_name=first,
        last_name=last,
        date_of_birth=dt.date(1950 + n % 40, 1 + n % 12, 1 + n % 28),
        sex_at_birth=sex or ("F" if n % 2 else "M"),
        address1=f"{10 + n} Cedar Ln",
        city="Springfield",
        state="IL",
        zip="62704",
        phone_mobile=f"217555{1000 + n:04d}",
    )
    add_coverage(
        actor=actor,
        patient=patient,
        payer=payer,
        order=Coverage.PRIMARY,
        member_id=f"PCH{740000 + n:09d}",
        group_number="GRP7",
        effective_date=dt.date(2024, 1, 1),
    )
    return patient


class _Office:
    """Books visits one after another, 20 minutes apart, and walks them to check-out."""

    def __init__(self, *, actor, provider, location):  # noqa: F811
        self.actor, self.provider, self.location = actor, provider, location
        self.visit_type = AppointmentType.objects.create(
            name="Office visit", code="OV", duration_minutes=20, room_kind=Room.EXAM
        )
        self.room = Room.objects.create(location=location, name="Exam 1", kind=Room.EXAM)
        self.slots: dict[dt.date, int] = {}

    def visit(self, patient: Patient, day: dt.date) -> Appointment:
        n = self.slots[day] = self.slots.get(day, -1) + 1
        start = dt.datetime.combine(day, dt.time(8), tzinfo=CHICAGO) + dt.timedelta(minutes=20 * n)
        visit = book_appointment(
            actor=self.actor, patient=patient, provider=self.provider, location=self.location,
            appointment_type=self.visit_type, start=start, allow_outside_template=True,
            now=start - dt.timedelta(days=7),
        )  # fmt: skip
        for step, minutes in (("arrived", -5), ("roomed", 2), ("with_provider", 8)):
            record_flow_step(
                actor=self.actor, appointment=visit, step=step,
                room=self.room if step == "roomed" else None,
                at=start + dt.timedelta(minutes=minutes),
            )  # fmt: skip
        return record_flow_step(
            actor=self.actor, appointment=visit, step="checked_out",
            at=start + dt.timedelta(minutes=19),
        )  # fmt: skip

    def claim(self, patient, day, diagnoses, lines) -> Claim:
        charge = enter_charges(
            actor=self.actor, appointment=self.visit(patient, day), diagnoses=diagnoses,
            lines=[LineInput(code=code, pointers=pointers) for code, pointers in lines],
        )  # fmt: skip
        return build_claim(actor=self.actor, charge=charge)


def sent_month(*, biller, payer, provider, location, services) -> Month:  # noqa: F811
    """Two weeks ago: 41 visits billed to Peachtree and sent as one 837P batch."""
    for code, amount in CONTRACT.items():
        set_payer_fee(
            payer=payer, service=services[code], allowed_amount=amount,
            effective_date=dt.date(2024, 1, 1),
        )  # fmt: skip
    today = dt.datetime.now(CHICAGO).date()
    days = [today - dt.timedelta(days=d) for d in (17, 16, 15)]
    office = _Office(actor=biller, provider=provider, location=location)
    names = [(f, ln) for ln in LAST_NAMES for f in FIRST_NAMES][:40]
    people = [_patient(biller, n, f, ln, payer) for n, (f, ln) in enumerate(names, start=1)]
    lee = _patient(biller, 0, "Mei", "Lee", payer, sex="F")

    def on(n: int) -> dt.date:
        return days[n % len(days)]

    lee_claim = office.claim(
        lee, days[0], ["I10", "R06.02"],
        [("99214", "1,2"), ("93000", "1"), ("94010", "2"), ("36415", "1")],
    )  # fmt: skip
    auth_denied = office.claim(people[0], days[1], ["L82.1"], [("11102", "1")])
    # A visit of four months ago whose charges were entered late: past the 90-day limit.
    late = office.claim(people[1], today - dt.timedelta(days=128), ["I10"], [("99213", "1")])
    short = [
        office.claim(people[2 + i], on(i), ["E11.9"], [(code, "1")])
        for i, (code, _paid) in enumerate(SHORT_PAID)
    ]
    deductible = [office.claim(people[5 + i], on(i), ["J06.9"], [("99213", "1")]) for i in range(3)]
    ordinary = []
    for i, patient in enumerate(people[8:]):
        lines = [("99213", "1")] + ([("87880", "1")] if i % 4 == 0 else [])
        ordinary.append(office.claim(patient, on(i), DIAGNOSES[i % len(DIAGNOSES)], lines))
    month = Month(
        batch=None, lee=lee, lee_claim=lee_claim, auth_denied=auth_denied, late=late,
        short=short, deductible=deductible, ordinary=ordinary, payer=payer,
    )  # fmt: skip
    ids = [c.pk for c in month.claims]
    scrub_claims(actor=biller, claim_ids=ids, today=days[-1])
    summary = mark_scrubbed_ready(actor=biller, claim_ids=ids)
    assert summary.moved == 41, summary.describe()
    month.batch = create_batch(actor=biller)
    assert month.batch.claims.count() == 41
    for name in ("lee_claim", "auth_denied", "late"):
        setattr(month, name, Claim.objects.get(pk=getattr(month, name).pk))
    for name in ("short", "deductible", "ordinary"):
        setattr(month, name, [Claim.objects.get(pk=c.pk) for c in getattr(month, name)])
    return month


# --- what comes back ----------------------------------------------------------------------


def _x277(month: Month, numbers: dict[int, str], day: dt.date) -> str:
    """The payer's 277CA: every claim of the batch accepted into adjudication (A2:20)."""
    when = f"{day:%Y%m%d}"
    total = sum(c.total_charge for c in month.claims)
    body = [
        f"BHT*0085*08*CA{month.batch.interchange_control_number:07d}*{when}*0930*TH",
        "HL*1**20*1",
        f"NM1*PR*2*{month.payer.name.upper()}*****PI*{month.payer.payer_id}",
        f"TRN*1*CA{month.batch.interchange_control_number:07d}",
        "DTP*050*D8*" + when,
        "DTP*009*D8*" + when,
        "HL*2*1*21*1",
        "NM1*41*2*RIVERSIDE FAMILY MEDICINE*****46*SUB123",
        f"TRN*2*{month.batch.interchange_control_number:09d}",
        f"STC*A1:19:PR*{when}*WQ*{total}",
        "QTY*90*41",
        f"AMT*YU*{total}",
        "HL*3*2*19*1",
        "NM1*85*2*RIVERSIDE FAMILY MEDICINE*****XX*1234567893",
        "TRN*1*0",
        f"STC*A1:19:PR*{when}*WQ*{total}",
        "QTY*QA*41",
        f"AMT*YU*{total}",
    ]
    for level, claim in enumerate(month.claims, start=4):
        patient = claim.patient
        body += [
            f"HL*{level}*3*PT",
            f"NM1*QC*1*{patient.last_name.upper()}*{patient.first_name.upper()}****MI*"
            f"{claim.coverage.member_id}",
            f"TRN*2*{claim.patient_control_number}",
            f"STC*A2:20:PR*{when}*WQ*{claim.total_charge}",
            f"REF*1K*{numbers[claim.pk]}",
            f"DTP*472*D8*{claim.date_of_service:%Y%m%d}",
        ]
    return interchange(body, st="277", version="005010X214", functional_id="HN")


def _at_contract(claim: Claim, *, patient_share=None) -> list:
    """Each line paid at the contract; ``patient_share(allowed)`` goes to the patient (PR)."""
    found = []
    for cl in claim.lines.order_by("line_number"):
        allowed = CONTRACT[cl.code] * cl.units
        group, share = patient_share(allowed) if patient_share else ("", Decimal("0.00"))
        amounts = {"CO45": cl.charge_amount - allowed}
        if share:
            amounts[f"PR{group}"] = share
        found.append(line(cl, allowed - share, **amounts))
    return found


def _named(clp, claim: Claim):
    patient = claim.patient
    return replace(
        clp, patient_last_name=patient.last_name.upper(),
        patient_first_name=patient.first_name.upper(), member_id=claim.coverage.member_id,
        rendering_npi=claim.rendering_provider.npi, statement_from=claim.date_of_service,
        statement_to=claim.date_of_service,
    )  # fmt: skip


def answers(month: Month, folder: Path) -> Answers:
    """Write the 999, the 277CA and the 835 for the month's batch into ``folder``."""
    today = dt.datetime.now(CHICAGO).date()
    numbers = {c.pk: f"PCH{today:%y%j}{i:05d}" for i, c in enumerate(month.claims, start=1)}
    ack_999 = folder / f"batch-{month.batch.interchange_control_number:09d}.999"
    ack_999.write_text(x999(month.batch), encoding="ascii")
    ack_277 = folder / f"batch-{month.batch.interchange_control_number:09d}.277"
    ack_277.write_text(_x277(month, numbers, today), encoding="ascii")

    def clp(claim, lines, **kw):
        return _named(claim_payment(claim, lines, payer_number=numbers[claim.pk], **kw), claim)

    def coinsurance(allowed):
        return "2", (allowed * COINSURANCE).quantize(Decimal("0.01"))

    def deductible_first(allowed):
        return "1", min(DEDUCTIBLE, allowed)

    claims = [clp(month.lee_claim, _at_contract(month.lee_claim, patient_share=coinsurance))]
    for denied, reason in ((month.auth_denied, "197"), (month.late, "29")):
        lines = [line(cl, 0, **{f"CO{reason}": cl.charge_amount}) for cl in denied.lines.all()]
        claims.append(clp(denied, lines, status="4", remarks=["M62"] if reason == "197" else []))
    for claim, (_code, paid) in zip(month.short, SHORT_PAID, strict=True):
        (cl,) = claim.lines.all()
        claims.append(clp(claim, [line(cl, paid, CO45=cl.charge_amount - paid)]))
    for claim in month.deductible:
        claims.append(clp(claim, _at_contract(claim, patient_share=deductible_first)))
    for claim in month.ordinary:
        claims.append(clp(claim, _at_contract(claim)))
    payment = remittance(
        claims, payer_name=month.payer.name.upper(), payer_id=month.payer.payer_id,
        trace=TRACE, day=today,
    )  # fmt: skip
    assert not payment.imbalances(), payment.imbalances()
    envelope = demo_envelope(
        control=4417, created=timezone.now(), payer_id=month.payer.payer_id, receiver="RIVERSIDE"
    )
    era = folder / f"peachtree-{today:%Y%m%d}.835"
    era.write_text(write_835([payment], envelope), encoding="ascii")

    lee = claims[0]
    short = sum((CONTRACT[code] - paid for code, paid in SHORT_PAID), start=Decimal("0.00"))
    return Answers(
        ack_999=ack_999,
        ack_277=ack_277,
        era=era,
        check_amount=payment.total_paid,
        denied=month.auth_denied.total_charge + month.late.total_charge,
        lee_coinsurance=lee.patient_responsibility,
        short_total=short,
    )


@pytest.fixture
def month(make_user, commercial_payer, provider, location, services, submission, practice):  # noqa: F811
    """Sam (biller), Dana (office manager) and the batch they sent two weeks ago."""
    sam = make_user("biller", first_name="Sam", last_name="Biller", home_location=location)
    dana = make_user("office_manager", first_name="Dana", last_name="Moss", home_location=location)
    sent = sent_month(
        biller=sam, payer=commercial_payer, provider=provider, location=location,
        services=services,
    )  # fmt: skip
    return {"sam": sam, "dana": dana, "sent": sent}
