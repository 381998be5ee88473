"""How long the claim scrubber takes over 10,000 claims (target: 10 s or less on PostgreSQL).

Usage:
    python benchmarks/scrub_claims.py [--database-url URL] [--claims 10000] [--runs 3]

Sets up (once; reused on later runs) a practice of its own in
postgres://127.0.0.1:5432/mo_bench_scrub (or --database-url): 20 providers,
2,000 patients with a primary coverage, and ``--claims`` draft claims of two
or three lines each, about one in ten carrying a problem a rule finds (a
category instead of a billable ICD-10-CM code, a pointer past the diagnoses,
zero units, a duplicate line, no place of service). Each run puts every claim
back to draft with no findings, then times ``scrub_claims`` over all of them:
the rules, the findings written, the status moves and their events. Prints
wall-clock seconds per run, the CPU this process spent, and the findings.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchdb  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_scrub"
PRACTICE = "Scrub Benchmark Practice"
DIAGNOSES = ["J06.9", "I10", "E11.9", "M54.50", "Z00.00", "E78.5", "K21.9", "F41.1"]
SERVICES = [("99213", "135.00"), ("99214", "195.00"), ("36415", "15.00"), ("87880", "30.00")]


def configure(url: str) -> None:
    benchdb.setup_django(url, data_dir="mo-bench-scrub")


def build(claims: int) -> None:
    """The practice and its claims, made with bulk inserts (not through the services: the
    benchmark times the scrubber, not charge entry)."""
    import random

    from django.db import transaction

    from medoffice.billing.models import (
        Charge,
        ChargeDiagnosis,
        ChargeLine,
        Claim,
        ClaimLine,
        Service,
    )
    from medoffice.patients.models import Payer
    from medoffice.scheduling.models import Provider

    if Claim.objects.filter(patient_control_number__startswith="SB").count() >= claims:
        return
    rng = random.Random(7)
    with transaction.atomic():
        location = benchdb.bench_location(
            practice=PRACTICE, location="Scrub Bench", phone="2175550100"
        )
        payer = Payer.objects.create(
            name="Scrub Bench Health", kind=Payer.COMMERCIAL, payer_id="SBH01",
            timely_filing_days=365,
        )  # fmt: skip
        providers = Provider.objects.bulk_create(
            Provider(
                first_name="P",
                last_name=f"Bench{i}",
                credentials="MD",
                npi=benchdb.valid_npi(i, prefix="4"),
            )
            for i in range(20)
        )
        services = {
            code: Service.objects.get_or_create(
                code=code,
                modifiers="",
                defaults={"description": code, "standard_charge": Decimal(price)},
            )[0]
            for code, price in SERVICES
        }
        patients = benchdb.bench_patients(prefix="SB", count=2000)
        coverages = benchdb.bench_coverages(patients, payer=payer, member_prefix="SBM")
        today = dt.date.today()  # noqa: DTZ011 - a date in the recent past is all we need
        charges, plans = [], []
        for i in range(claims):
            k = i % len(patients)
            dos = today - dt.timedelta(days=1 + rng.randrange(300))
            broken = rng.random() < 0.1
            dx = rng.sample(DIAGNOSES, rng.randint(1, 3))
            lines = [rng.choice(["99213", "99214"])] + rng.sample(
                ["36415", "87880"], rng.randint(1, 2)
            )
            plans.append((k, dos, dx, lines, rng.randrange(5) if broken else None))
            charges.append(
                Charge(
                    patient=patients[k], location=location, date_of_service=dos,
                    place_of_service="11", rendering_provider=providers[i % 20],
                )
            )  # fmt: skip
        charges = Charge.objects.bulk_create(charges, batch_size=2000)
        dx_rows, line_rows, claim_rows = [], [], []
        for i, (charge, (k, dos, dx, lines, fault)) in enumerate(zip(charges, plans, strict=True)):
            if fault == 0:
                dx = ["E11", *dx[1:]]  # a category, not billable
            dx_rows += [
                ChargeDiagnosis(charge=charge, position=j + 1, code=c) for j, c in enumerate(dx)
            ]
            for j, code in enumerate(lines, start=1):
                line_rows.append(
                    ChargeLine(
                        charge=charge, line_number=j, service=services[code], code=code,
                        units=0 if fault == 2 and j == 2 else 1,
                        charge_amount=services[code].standard_charge,
                        diagnosis_pointers=str(len(dx) + 1) if fault == 1 and j == 1 else "1",
                    )
                )  # fmt: skip
            claim_rows.append(
                Claim(
                    charge=charge, patient=patients[k], coverage=coverages[k], payer=payer,
                    payer_order=1, patient_control_number=f"SB{i:010d}", date_of_service=dos,
                    place_of_service="" if fault == 4 else "11",
                    rendering_provider=charge.rendering_provider, diagnosis_codes=",".join(dx),
                    total_charge=sum(services[c].standard_charge for c in lines),
                )
            )  # fmt: skip
        ChargeDiagnosis.objects.bulk_create(dx_rows, batch_size=5000)
        ChargeLine.objects.bulk_create(line_rows, batch_size=5000)
        claim_rows = Claim.objects.bulk_create(claim_rows, batch_size=2000)
        claim_lines = []
        by_charge = {}
        for row in line_rows:
            by_charge.setdefault(row.charge_id, []).append(row)
        for claim, (_k, dos, _dx, _lines, fault) in zip(claim_rows, plans, strict=True):
            lines = by_charge[claim.charge_id]
            if fault == 3:
                lines = [*lines, lines[-1]]  # a duplicate line
            for j, row in enumerate(lines, start=1):
                claim_lines.append(
                    ClaimLine(
                        claim=claim, line_number=j, code=row.code, units=row.units,
                        charge_amount=row.charge_amount or Decimal("0"),
                        diagnosis_pointers=row.diagnosis_pointers, date_of_service=dos,
                    )
                )  # fmt: skip
        ClaimLine.objects.bulk_create(claim_lines, batch_size=5000)


def reset() -> list[int]:
    from medoffice.billing.models import Claim, ClaimEvent, ScrubFinding

    ids = list(
        Claim.objects.filter(patient_control_number__startswith="SB").values_list("pk", flat=True)
    )
    ScrubFinding.objects.filter(claim_id__in=ids).delete()
    ClaimEvent.objects.filter(claim_id__in=ids).delete()
    Claim.objects.filter(pk__in=ids).update(status="draft", scrubbed_at=None)
    return ids


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    configure(args.database_url)
    from django.db import connection

    from medoffice.billing.services.scrubber import scrub_claims

    started = time.perf_counter()
    build(args.claims)
    print(f"set-up: {time.perf_counter() - started:.1f} s ({connection.vendor})")
    walls, cpus = [], []
    summary = None
    for run in range(args.runs):
        ids = reset()[: args.claims]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        summary = scrub_claims(actor=None, claim_ids=ids)
        walls.append(time.perf_counter() - wall0)
        cpus.append(time.process_time() - cpu0)
        print(f"run {run + 1}: {len(ids):,} claims in {walls[-1]:.2f} s (CPU {cpus[-1]:.2f} s)")
    print(
        f"median {statistics.median(walls):.2f} s, best {min(walls):.2f} s; "
        f"{summary.clean:,} clean, {summary.with_errors:,} with errors, "
        f"{summary.findings:,} findings: {dict(sorted(summary.by_rule.items()))}"
    )
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
