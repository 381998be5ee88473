"""How long importing and posting a 10,000-claim 835 takes (target: 20 s or less on PostgreSQL),
and how fast our 835 reader is next to pyx12 on the same file.

Usage:
    python benchmarks/era_import.py [--database-url URL] [--claims 10000] [--runs 1]
                                    [--no-pyx12]

Sets up (once; reused later) a practice of its own in
postgres://127.0.0.1:5432/mo_bench_era (or --database-url): 20 providers,
2,000 patients with a primary coverage, the payer's contracted fees. Each run
then makes ``--claims`` new submitted claims (two or three lines each, charges
on the books, made with bulk inserts: not timed) and writes the payer's 835
for them with medoffice.edi's writer: most claims paid with CO-45 and a
patient share, about one line in ten denied (CO-97), one claim in twenty denied
whole (CLP02 = 4, CO-50), one in a hundred naming a claim we do not have, and
a PLB. It times ``import_835`` (read, record, post, move the claims' statuses)
and checks the figures; then, on the same text, ``read_835`` alone against
pyx12's segment reader and its full implementation-guide check, as ratios of
CPU time. Prints the machine, the date and the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchdb  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_era"
PRACTICE = "ERA Benchmark Practice"
PAYER = ("Era Bench Health", "EBH01")
# code, our charge, the payer's allowed amount
SERVICES = [
    ("99213", "135.00", "92.50"),
    ("99214", "195.00", "131.20"),
    ("36415", "15.00", "8.75"),
    ("87880", "30.00", "16.40"),
]
CENT = Decimal("0.01")


def setup_practice():
    """The practice, its payer, providers, patients and fees (made the first time)."""
    from django.db import transaction

    from medoffice.billing.models import PayerFee, Service
    from medoffice.patients.models import Coverage, Payer
    from medoffice.scheduling.models import Provider

    location = benchdb.bench_location(practice=PRACTICE, location="ERA Bench")
    payer, made = Payer.objects.get_or_create(
        name=PAYER[0],
        defaults={"kind": Payer.COMMERCIAL, "payer_id": PAYER[1], "timely_filing_days": 365},
    )
    services = {}
    for code, price, allowed in SERVICES:
        service = Service.objects.get_or_create(
            code=code, modifiers="",
            defaults={"description": code, "standard_charge": Decimal(price)},
        )[0]  # fmt: skip
        services[code] = service
        PayerFee.objects.get_or_create(
            payer=payer, service=service, effective_date=dt.date(2020, 1, 1),
            defaults={"allowed_amount": Decimal(allowed)},
        )  # fmt: skip
    if made:
        with transaction.atomic():
            Provider.objects.bulk_create(
                Provider(first_name="P", last_name=f"Era{i}", credentials="MD",
                         npi=benchdb.valid_npi(i, prefix="5"))
                for i in range(20)
            )  # fmt: skip
            patients = benchdb.bench_patients(prefix="EB", count=2000, last_name="Era")
            benchdb.bench_coverages(patients, payer=payer, member_prefix="EBM")
    providers = list(Provider.objects.filter(last_name__startswith="Era"))
    coverages = list(Coverage.objects.filter(payer=payer).select_related("patient"))
    return location, payer, services, providers, coverages


def make_claims(count: int, rng: random.Random):
    """``count`` submitted claims with their charges on the books (bulk inserts, not timed)."""
    from django.db import connection, transaction
    from django.db.models import CharField, Value
    from django.db.models.functions import Cast, Concat, LPad

    from medoffice.billing.models import Charge, ChargeLine, Claim, ClaimLine, LedgerEntry

    location, payer, services, providers, coverages = setup_practice()
    today = dt.date.today()  # noqa: DTZ011 - a date in the recent past is all we need
    tag = f"EBTMP{time.time_ns() % 10**12:012d}"
    with transaction.atomic():
        plans = []
        for i in range(count):
            cov = coverages[i % len(coverages)]
            codes = [rng.choice(["99213", "99214"])] + rng.sample(["36415", "87880"],
                                                                  rng.randint(1, 2))  # fmt: skip
            plans.append((cov, today - dt.timedelta(days=20 + rng.randrange(60)), codes))
        charges = Charge.objects.bulk_create(
            (Charge(patient=cov.patient, location=location, date_of_service=dos,
                    place_of_service="11", rendering_provider=providers[i % len(providers)])
             for i, (cov, dos, _) in enumerate(plans)),
            batch_size=2000,
        )  # fmt: skip
        charge_lines = []
        for charge, (_, _, codes) in zip(charges, plans, strict=True):
            for n, code in enumerate(codes, start=1):
                charge_lines.append(
                    ChargeLine(charge=charge, line_number=n, service=services[code], code=code,
                               units=1, charge_amount=services[code].standard_charge,
                               diagnosis_pointers="1")
                )  # fmt: skip
        ChargeLine.objects.bulk_create(charge_lines, batch_size=5000)
        claims = Claim.objects.bulk_create(
            (Claim(charge=charge, patient=cov.patient, coverage=cov, payer=payer, payer_order=1,
                   status=Claim.SUBMITTED, patient_control_number=f"{tag}{i:06d}"[-20:],
                   date_of_service=dos, place_of_service="11",
                   rendering_provider=charge.rendering_provider, diagnosis_codes="I10",
                   total_charge=sum(services[c].standard_charge for c in codes))
             for i, (charge, (cov, dos, codes)) in enumerate(zip(charges, plans, strict=True))),
            batch_size=2000,
        )  # fmt: skip
        Claim.objects.filter(pk__in=[c.pk for c in claims]).update(
            patient_control_number=Concat(Value("MO"), LPad(Cast("id", CharField()), 9, Value("0")))
        )
        claim_lines = []
        for claim, (_, dos, codes) in zip(claims, plans, strict=True):
            for n, code in enumerate(codes, start=1):
                claim_lines.append(
                    ClaimLine(claim=claim, line_number=n, code=code, units=1,
                              charge_amount=services[code].standard_charge,
                              diagnosis_pointers="1", date_of_service=dos)
                )  # fmt: skip
        ClaimLine.objects.bulk_create(claim_lines, batch_size=5000)
        LedgerEntry.objects.bulk_create(
            (LedgerEntry(kind=LedgerEntry.CHARGE, amount=claim.total_charge, posted_on=today,
                         patient_id=claim.patient_id, charge_id=claim.charge_id,
                         payer=payer, note="Benchmark visit")
             for claim in claims),
            batch_size=5000,
        )  # fmt: skip
    if connection.vendor == "postgresql":
        # What autovacuum does after a day's work: without it the planner still believes
        # the ledger is as small as when it was first analysed and reads it whole.
        with connection.cursor() as cursor:
            for model in (Charge, ChargeLine, Claim, ClaimLine, LedgerEntry):
                cursor.execute(f"ANALYZE {model._meta.db_table}")
    claims = list(Claim.objects.filter(pk__in=[c.pk for c in claims]).order_by("pk"))
    lines: dict[int, list] = {}
    for line in ClaimLine.objects.filter(claim__in=claims).order_by("claim_id", "line_number"):
        lines.setdefault(line.claim_id, []).append(line)
    return payer, claims, lines


def payer_file(claims, lines, rng: random.Random, trace: str) -> str:
    """The payer's 835 for ``claims``: paid, partly denied, denied, a few we never sent."""
    from medoffice.edi.x835 import (
        Adjustment,
        ClaimPayment,
        ProviderAdjustment,
        Remittance,
        ServicePayment,
    )
    from medoffice.edi.x835.writer import demo_envelope, write_835

    allowed = {code: Decimal(a) for code, _, a in SERVICES}
    out = []
    for n, claim in enumerate(claims):
        denied = n % 20 == 7
        services = []
        for line in lines[claim.pk]:
            if denied or rng.random() < 0.1:
                adjustments = (Adjustment("CO", "50" if denied else "97", line.charge_amount),)
                paid = Decimal(0)
            else:
                patient = Decimal(rng.choice([0, 0, 10, 20])).quantize(CENT)
                patient = min(patient, allowed[line.code])
                paid = allowed[line.code] - patient
                adjustments = (Adjustment("CO", "45", line.charge_amount - allowed[line.code]),)
                if patient:
                    adjustments += (Adjustment("PR", "2", patient),)
            services.append(
                ServicePayment(procedure_code=line.code, charge=line.charge_amount, paid=paid,
                               service_date=line.date_of_service, adjustments=adjustments,
                               control_number=str(line.pk),
                               allowed=None if paid == 0 else allowed[line.code])
            )  # fmt: skip
        pr = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), Decimal(0))
        out.append(
            ClaimPayment(
                patient_control_number=("ZZ" if n % 100 == 42 else "")
                + claim.patient_control_number,
                status="4" if denied else "1", charge=claim.total_charge,
                paid=sum((s.paid for s in services), Decimal(0)), patient_responsibility=pr,
                payer_claim_number=f"EB{n:012d}", patient_last_name="ERA",
                patient_first_name="PAT", member_id=f"EBM{n:08d}", services=tuple(services),
            )
        )  # fmt: skip
    plb = (ProviderAdjustment("1234567893", dt.date(2026, 12, 31), "WO", Decimal("12.34")),)
    total = sum((c.paid for c in out), Decimal(0)) - plb[0].amount
    remittance = Remittance(
        control_number="0001", handling="I", total_paid=total, credit_debit="C", method="ACH",
        payment_date=dt.date.today(), trace_number=trace, payer_trace_id="1990000001",  # noqa: DTZ011
        payer_name=PAYER[0].upper(), payer_id=PAYER[1], payee_name="ERA BENCHMARK PRACTICE",
        payee_id_qualifier="XX", payee_id="1234567893", payee_tax_id="123456789",
        claims=tuple(out), provider_adjustments=plb,
    )  # fmt: skip
    envelope = demo_envelope(
        control=int(trace[-9:]), created=dt.datetime.now(dt.UTC), payer_id=PAYER[1],
        receiver="ERABENCH",
    )  # fmt: skip
    return write_835([remittance], envelope)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--no-pyx12", action="store_true", help="skip the pyx12 comparison")
    parser.add_argument("--profile", action="store_true", help="print the import's top costs")
    args = parser.parse_args()
    benchdb.setup_django(args.database_url, data_dir="mo-bench-era")

    from medoffice.billing.models import Claim, LedgerEntry
    from medoffice.billing.services.remittances import import_835
    from medoffice.edi.x835 import read_835

    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {benchdb.machine_facts()}")
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    rng = random.Random(7)
    walls, text = [], ""
    for run in range(args.runs):
        t0 = time.perf_counter()
        payer, claims, lines = make_claims(args.claims, rng)
        trace = f"EFT{time.time_ns() % 10**12:012d}"
        text = payer_file(claims, lines, rng, trace)
        print(
            f"run {run + 1}: {len(claims)} submitted claims made and their 835 written "
            f"({len(text) / 1e6:.1f} MB, {text.count('~')} segments) in "
            f"{time.perf_counter() - t0:.1f} s (not timed)"
        )
        if args.profile:
            import cProfile
            import pstats

            profile = cProfile.Profile()
            profile.enable()
        report, wall, cpu = benchdb.timed(
            1, lambda t=text, n=trace: import_835(t, actor=None, filename=n)
        )
        if args.profile:
            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(30)
        walls.append(wall)
        (summary,) = report.remittances
        statuses = dict.fromkeys([Claim.PAID, Claim.PARTLY_PAID, Claim.DENIED], 0)
        for status in Claim.objects.filter(pk__in=[c.pk for c in claims]).values_list(
            "status", flat=True
        ):
            statuses[status] = statuses.get(status, 0) + 1
        entries = LedgerEntry.objects.filter(remittance_id=summary.remittance_id).count()
        print(
            f"  import_835: {wall:.2f} s wall, {cpu:.2f} s CPU in this process; "
            f"{summary.matched} claims posted, {summary.unmatched} unmatched, "
            f"{entries} ledger entries, paid ${summary.paid_posted}, "
            f"reconciled={summary.reconciled}; claims now {statuses}"
        )
        assert summary.reconciled and summary.matched + summary.unmatched == len(claims)
    print(f"import_835 median of {len(walls)}: {statistics.median(walls):.2f} s (target ≤ 20 s)")

    runs = 3
    _, _, ours = benchdb.timed(runs, lambda: read_835(text))
    print(f"read_835 alone: median {ours:.2f} s CPU of {runs}")
    if not args.no_pyx12:
        benchdb.compare_with_pyx12(text, ours)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
