"""Seed billing: the fee schedule, and charges and claims for every checked-out visit.

The starter service list, contracted amounts for each demo payer (last year's
and this year's), then for each checked-out visit of the history its charges
(codes drawn by visit type, diagnoses from a list of common billable codes) and,
when a coverage was active that day, its primary claim, walked along the
lifecycle as far as its age makes plausible:

- older than 45 days: mostly paid (and closed after 120 days), some partly
  paid, about 8 % denied (a third of those corrected with a replacement claim
  that was paid), some rejected once and paid after correction;
- 15 to 45 days: accepted, paid, a few denied or still submitted;
- 3 to 14 days: submitted, accepted, about 10 % rejected by the clearinghouse;
- the last 3 days: draft, scrubbed or ready, about 6 % carrying a real problem
  (a category instead of a billable diagnosis, a line without a pointer, a
  duplicate line), which the scrubber, run at the end, finds.

Rows are written in bulk with explicit ids (:class:`.bulk.RowWriter`); every
status a claim passed through has its :class:`ClaimEvent`. The draws come from
the ``billing`` stream, so the same seed gives the same charges and claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count

from medoffice.billing.models import (
    Charge,
    ChargeDiagnosis,
    ChargeLine,
    Claim,
    ClaimEvent,
    ClaimLine,
    PayerFee,
    Service,
    SubmissionSettings,
)
from medoffice.billing.services.fee_import import load_starter_services
from medoffice.billing.services.scrubber import scrub_claims
from medoffice.core import roles
from medoffice.core.models import User
from medoffice.demo.bulk import RowWriter, next_id
from medoffice.demo.context import SeedContext
from medoffice.patients.models import Coverage, Payer
from medoffice.scheduling.models import Appointment

# What each payer's contract allows, as a share of the standard charge.
ALLOWED_SHARE = {Payer.MEDICARE: "0.55", Payer.MEDICAID: "0.45", Payer.COMMERCIAL: "0.78"}
CHRONIC = ["I10", "E11.9", "E78.5", "E66.9", "J45.909", "K21.9", "F41.1", "F32.A", "M54.50",
           "G47.00", "E03.9", "R73.03", "Z79.4", "J30.9", "D64.9"]  # fmt: skip
ACUTE = ["J06.9", "J02.9", "J01.90", "R05.9", "N39.0", "M25.561", "R10.9", "J10.1", "L70.0"]
PROCEDURES = [  # (code, its diagnosis, an extra line)
    ("17110", "B07.9", None),
    ("11102", "D48.5", None),
    ("10060", "L02.91", None),
    ("20610", "M17.11", "J3301"),
    ("69210", "H61.23", None),
    ("12001", "S61.412A", None),
]
DENIALS = [
    "CO-16: claim lacks information needed for adjudication",
    "CO-97: included in the payment for another service",
    "CO-50: not deemed medically necessary by the payer",
    "PR-204: service not covered by the patient's plan",
]
REJECTIONS = [
    "Subscriber not found with this member id",
    "Rendering provider not enrolled with the payer",
    "Subscriber date of birth does not match the payer's records",
]
ICN_PREFIX = {Payer.MEDICARE: "MCR", Payer.MEDICAID: "MCD", Payer.COMMERCIAL: "COM"}


@dataclass
class BillingSummary:
    services: int = 0
    payer_fees: int = 0
    charges: int = 0
    claims: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    findings: int = 0


def _fees(ctx: SeedContext, payers: list[Payer], services: list[Service]) -> int:
    this_year = dt.date(ctx.today.year, 1, 1)
    first = dt.date(ctx.today.year - ctx.years, 1, 1)
    rows = []
    for payer in payers:
        share = Decimal(ALLOWED_SHARE.get(payer.kind, "0.70"))
        for service in services:
            now = (service.standard_charge * share).quantize(Decimal("0.01"))
            before = (now * Decimal("0.97")).quantize(Decimal("0.01"))
            last_year_end = this_year - dt.timedelta(days=1)
            rows.append(PayerFee(payer=payer, service=service, allowed_amount=before,
                                 effective_date=first, end_date=last_year_end))  # fmt: skip
            rows.append(
                PayerFee(payer=payer, service=service, allowed_amount=now, effective_date=this_year)
            )
    PayerFee.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _visit_lines(rng, kind: str, age: int, medicare: bool) -> tuple[list[str], list[tuple]]:
    """(diagnoses, [(code, modifiers, units, pointers)]) for one visit of type ``kind``."""
    dx = rng.sample(CHRONIC, rng.choice([1, 1, 2, 2, 3]))
    if kind == "NP":
        code = rng.choices(["99203", "99204", "99205"], [4, 5, 1])[0]
        return dx, [(code, "", 1, "1")]
    if kind == "PE":
        code = "99395" if age < 40 else "99396"
        if age >= 65:
            code = "G0439" if medicare else "99397"
        dx = ["Z00.01" if rng.random() < 0.4 else "Z00.00", *dx[:2]]
        lines = [(code, "", 1, "1")]
        if rng.random() < 0.4:
            lines.append(("36415", "", 1, "1"))
        return dx, lines
    if kind == "SICK":
        dx = [rng.choice(ACUTE), *dx[:1]]
        lines = [(rng.choices(["99213", "99214"], [3, 1])[0], "", 1, "1")]
        if dx[0] == "J02.9":
            lines.append(("87880", "", 1, "1"))
        elif dx[0] == "J10.1":
            lines.append(("87804", "", 1, "1"))
        return dx, lines
    if kind == "TEL":
        return dx, [(rng.choices(["99213", "99214"], [3, 2])[0], "95", 1, "1")]
    if kind == "PROC":
        code, reason, extra = rng.choice(PROCEDURES)
        dx = [reason, *dx[:1]]
        lines = [(code, "", 1, "1")]
        if extra:
            lines.append((extra, "", 4, "1"))
        if rng.random() < 0.3:
            lines.insert(0, ("99213", "25", 1, ",".join(str(i + 1) for i in range(len(dx)))))
        return dx, lines
    if kind == "LAB":
        return dx, [("36415", "", 1, "1"), (rng.choice(["85018", "82962", "81002"]), "", 1, "1")]
    code = rng.choices(["99212", "99213", "99214"], [1, 11, 8])[0]
    lines = [(code, "", 1, ",".join(str(i + 1) for i in range(min(len(dx), 4))))]
    if rng.random() < 0.08:
        lines.append(("93000", "", 1, "1"))
    return dx, lines


def _path(rng, days_ago: int) -> list[tuple[str, int, str]]:
    """The statuses a claim passed through: [(status, days after the visit, note)]."""
    path = [("draft", 1, "Built from charges"), ("scrubbed", 1, "Scrub: no errors")]
    if days_ago < 3:
        return path[: rng.choice([1, 2, 2])] + ([("ready", 1, "")] if rng.random() < 0.4 else [])
    sent = [("ready", 1, ""), ("submitted", 2, "Sent in a batch")]
    if days_ago < 15:
        r = rng.random()
        if r < 0.10:
            return path + sent + [("rejected", 3, rng.choice(REJECTIONS))]
        return path + sent + ([("accepted", 3, "")] if r < 0.45 else [])
    if days_ago <= 45:
        r = rng.random()
        if r < 0.10:
            return path + sent
        if r < 0.55:
            return path + sent + [("accepted", 3, "")]
        if r < 0.60:
            return path + sent + [("accepted", 3, ""), ("denied", 12, rng.choice(DENIALS))]
        return path + sent + [("accepted", 3, ""), ("paid", rng.randint(12, 14), "Paid in full")]
    r = rng.random()
    steps = list(path + sent)
    if r < 0.05:
        steps += [("rejected", 3, rng.choice(REJECTIONS)), ("draft", 4, "Reopened to correct"),
                  ("scrubbed", 4, "Scrub: no errors"), ("ready", 4, ""),
                  ("submitted", 5, "Sent again after correction")]  # fmt: skip
    steps.append(("accepted", steps[-1][1] + 1, ""))
    if r < 0.13 and r >= 0.05:
        steps.append(("denied", rng.randint(14, 30), rng.choice(DENIALS)))
    elif r < 0.22 and r >= 0.13:
        steps.append(("partly_paid", rng.randint(14, 30), "Paid less than billed"))
    else:
        steps.append(("paid", rng.randint(14, 30), "Paid in full"))
    if days_ago > 120 and steps[-1][0] != "denied":
        steps.append(("closed", steps[-1][1] + 10, "Balance settled"))
    return steps


def create_billing(*, ctx: SeedContext, say: Callable[[str], None] | None = None) -> BillingSummary:
    """The fee schedule, then charges and claims for every checked-out visit (see above)."""
    rng = ctx.rng("billing")
    summary = BillingSummary()
    load_starter_services()
    services = list(Service.objects.order_by("code", "modifiers"))
    by_key = {(s.code, s.modifiers): s for s in services}
    summary.services = len(services)
    payers = list(Payer.objects.exclude(kind=Payer.SELF_PAY).order_by("pk"))
    summary.payer_fees = _fees(ctx, payers, services)
    # A clearinghouse account for the demo (test files): batches can be made at once.
    SubmissionSettings.objects.create(
        sender_id="CHATTVALFM", receiver_id="DEMOCLEARING", receiver_name="Demo Clearinghouse",
        submitter_id="CVFM0001", contact_name="Billing Office", contact_phone="7065550100",
        zip_plus_four="2301", test_files=True,
    )  # fmt: skip
    payer_kind = {p.pk: p.kind for p in payers}
    biller = User.objects.filter(groups__name=roles.ROLES[roles.BILLER].name).order_by("pk").first()
    biller_id = biller.pk if biller else None

    coverages: dict[int, list[tuple]] = {}
    for row in Coverage.objects.order_by("patient_id", "order", "-effective_date").values_list(
        "patient_id", "pk", "payer_id", "order", "effective_date", "end_date"
    ):
        coverages.setdefault(row[0], []).append(row[1:])
    visits = (
        Appointment.objects.filter(status=Appointment.CHECKED_OUT)
        .order_by("start", "pk")
        .values_list(
            "pk", "patient_id", "provider_id", "location_id", "start", "checked_out_at",
            "appointment_type__code", "location__place_of_service", "location__time_zone",
            "patient__date_of_birth",
        )
    )  # fmt: skip
    charges = RowWriter(Charge, ["id", "appointment", "patient", "location", "date_of_service",
                                  "place_of_service", "rendering_provider", "created_at",
                                  "created_by", "updated_at", "updated_by"])  # fmt: skip
    dxs = RowWriter(ChargeDiagnosis, ["charge", "position", "code"])
    lines = RowWriter(ChargeLine, ["charge", "line_number", "service", "code", "modifiers",
                                    "units", "charge_amount", "diagnosis_pointers"])  # fmt: skip
    claims = RowWriter(Claim, ["id", "charge", "patient", "coverage", "payer", "payer_order",
                                "status", "frequency_code", "original",
                                "original_payer_claim_number",
                                "payer_claim_number", "patient_control_number", "date_of_service",
                                "place_of_service", "rendering_provider", "diagnosis_codes",
                                "total_charge", "created_at", "created_by", "status_changed_at",
                                "scrubbed_at"])  # fmt: skip
    claim_lines = RowWriter(ClaimLine, ["claim", "line_number", "code", "modifiers", "units",
                                         "charge_amount", "diagnosis_pointers",
                                         "date_of_service"])  # fmt: skip
    events = RowWriter(ClaimEvent, ["claim", "at", "user", "from_status", "to_status", "note"])
    charge_id, claim_id = next_id(Charge), next_id(Claim)
    zones: dict[str, ZoneInfo] = {}
    icn = 0
    unsent: list[int] = []
    claims_rows_fix: list[int] = []  # originals a replacement closed

    def add_claim(*, pk, charge_pk, patient, coverage, dos, pos, provider, dx_codes, rows,
                  steps, made_at, frequency="1", original=None, original_icn=""):  # fmt: skip
        nonlocal icn
        cov_pk, payer_id, order = coverage[0], coverage[1], coverage[2]
        status = steps[-1][0]
        number = ""
        if any(s == "accepted" for s, _, _ in steps):
            icn += 1
            number = f"{ICN_PREFIX.get(payer_kind[payer_id], 'OTH')}{dos:%y}{icn:08d}"
        at_of = {s: made_at + dt.timedelta(days=d - 1) for s, d, _ in steps}
        claims.add((pk, charge_pk, patient, cov_pk, payer_id, order, status, frequency, original,
                    original_icn, number, f"MO{pk:09d}", dos, pos, provider, ",".join(dx_codes),
                    sum(r[6] for r in rows), made_at, biller_id, at_of[status],
                    at_of.get("scrubbed")))  # fmt: skip
        for n, r in enumerate(rows, start=1):
            claim_lines.add((pk, n, r[3], r[4], r[5], r[6], r[7], dos))
        before = ""
        for s, d, note in steps:
            events.add((pk, made_at + dt.timedelta(days=d - 1), biller_id, before, s, note))
            before = s
        summary.claims += 1
        summary.by_status[status] = summary.by_status.get(status, 0) + 1
        if status in Claim.UNSENT:
            unsent.append(pk)
        return number

    for (appt_id, patient_id, provider_id, location_id, start, out_at, kind, pos, zone_name,
         born) in visits.iterator(chunk_size=5000):  # fmt: skip
        zone = zones.setdefault(zone_name, ZoneInfo(zone_name))
        dos = start.astimezone(zone).date()
        age = (dos - born).days // 365
        active = [
            c
            for c in coverages.get(patient_id, ())
            if c[3] <= dos and (c[4] is None or dos <= c[4])
        ]
        medicare = bool(active) and payer_kind.get(active[0][1]) == Payer.MEDICARE
        dx, drawn = _visit_lines(rng, kind, age, medicare)
        days_ago = (ctx.today - dos).days
        steps = _path(rng, days_ago) if active else []
        if steps and steps[-1][0] in Claim.UNSENT and rng.random() < 0.06:
            # A problem typed into the charges that the scrubber will find on the claim.
            fault = rng.randrange(3)
            if fault == 0:
                dx[0] = dx[0].split(".")[0]  # the category, not a billable code
            elif fault == 1:
                drawn[0] = (*drawn[0][:3], "")  # no diagnosis pointer
            else:
                drawn.append(drawn[0])  # the same line twice
            steps = steps[:1]
        place = "10" if kind == "TEL" else pos
        made = out_at or start
        charges.add((charge_id, appt_id, patient_id, location_id, dos, place, provider_id,
                     made, biller_id, made, biller_id))  # fmt: skip
        for n, code in enumerate(dx, start=1):
            dxs.add((charge_id, n, code))
        rows = []
        for n, (code, mods, units, pointers) in enumerate(drawn, start=1):
            service = by_key.get((code, mods)) or by_key[(code, "")]
            amount = service.standard_charge * units
            row = (charge_id, n, service.pk, code, mods, units, amount, pointers)
            lines.add(row)
            rows.append(row)
        summary.charges += 1
        if active:
            claim_dx, claim_rows = dx, rows
            made_at = dt.datetime.combine(dos, dt.time(17, 0), tzinfo=zone)
            number = add_claim(pk=claim_id, charge_pk=charge_id, patient=patient_id,
                               coverage=active[0], dos=dos, pos=place, provider=provider_id,
                               dx_codes=claim_dx, rows=claim_rows, steps=steps,
                               made_at=made_at)  # fmt: skip
            original = claim_id
            claim_id += 1
            if steps[-1][0] == "denied" and steps[-1][2].startswith("CO-16") and rng.random() < 0.5:
                # Corrected and sent again as a replacement, which was paid.
                denied_day = steps[-1][1]
                events.add((original, made_at + dt.timedelta(days=denied_day + 2), biller_id,
                            "denied", "closed",
                            f"Replacement claim MO{claim_id:09d} made"))  # fmt: skip
                summary.by_status["denied"] -= 1
                summary.by_status["closed"] = summary.by_status.get("closed", 0) + 1
                claims_rows_fix.append(original)
                fix_steps = [("draft", denied_day + 3, f"Replacement of MO{original:09d}"),
                             ("scrubbed", denied_day + 3, "Scrub: no errors"),
                             ("ready", denied_day + 3, ""), ("submitted", denied_day + 4, ""),
                             ("accepted", denied_day + 5, ""),
                             ("paid", denied_day + 20, "Paid in full")]  # fmt: skip
                if days_ago < denied_day + 21:
                    fix_steps = fix_steps[:5]
                add_claim(pk=claim_id, charge_pk=charge_id, patient=patient_id,
                          coverage=active[0], dos=dos, pos=place, provider=provider_id,
                          dx_codes=dx, rows=rows, steps=fix_steps, made_at=made_at,
                          frequency="7", original=original, original_icn=number)  # fmt: skip
                claim_id += 1
        charge_id += 1
    for writer in (charges, dxs, lines, claims, claim_lines, events):
        writer.close()
    if claims_rows_fix:
        Claim.objects.filter(pk__in=claims_rows_fix).update(status=Claim.CLOSED)
    if say:
        say(
            f"  {summary.charges:,} visits charged, {summary.claims:,} claims; scrubbing the unsent"
        )
    result = scrub_claims(actor=biller, claim_ids=unsent, today=ctx.today)
    summary.findings = result.findings
    summary.by_status = dict(
        Claim.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return summary
