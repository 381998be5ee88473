"""How long the A/R reports take over a practice's books (hundreds of thousands of entries).

Usage:
    python benchmarks/ar_aging.py [--database-url URL] [--visits 60000] [--runs 3]

Sets up (once; reused on later runs) a practice of its own in
postgres://127.0.0.1:5432/mo_bench_ar (or --database-url): 5 payers, 10,000
patients and ``--visits`` visits spread over the last 400 days, each with its
charge on the books and, for most, the payer's payment, a contractual
adjustment, coinsurance moved to the patient and the patient's payment (about
five entries a visit), plus payments on account that leave some patients a
credit. Then times, per run: the aging by payer, by patient, days in A/R, the
net collection rate of the last 90 days and a month's totals for closing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import benchdb  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_ar"


def build(visits: int) -> None:
    """The books, with bulk inserts (not through the services: this times the reports)."""
    from django.db import transaction

    from medoffice.billing.models import Charge, LedgerEntry
    from medoffice.patients.models import Payer
    from medoffice.scheduling.models import Provider

    have = Charge.objects.filter(patient__mrn__startswith="AR").count()
    if have >= visits:
        return
    rng = random.Random(11)
    today = dt.date.today()  # noqa: DTZ011 - recent days are all we need
    with transaction.atomic():
        location = benchdb.bench_location(practice="A/R Bench Practice", location="A/R Bench")
        payers = [
            Payer.objects.create(name=f"A/R Bench Payer {i}", kind=Payer.COMMERCIAL)
            for i in range(5)
        ]
        provider = Provider.objects.create(
            first_name="P", last_name="ARBench", credentials="MD", npi=benchdb.valid_npi(1, "5")
        )
        patients = benchdb.bench_patients(prefix="AR", count=10_000)
        charges = Charge.objects.bulk_create(
            (
                Charge(
                    patient=patients[i % len(patients)],
                    location=location,
                    date_of_service=today - dt.timedelta(days=rng.randrange(400)),
                    place_of_service="11",
                    rendering_provider=provider,
                )
                for i in range(visits)
            ),
            batch_size=2000,
        )
        entries = []

        def add(charge, kind, amount, day, payer=None, on_visit=True):
            entries.append(
                LedgerEntry(
                    posted_on=min(day, today),
                    kind=kind,
                    amount=Decimal(amount).quantize(Decimal("0.01")),
                    patient_id=charge.patient_id,
                    charge=charge if on_visit else None,
                    payer=payer,
                )
            )

        for i, charge in enumerate(charges):
            payer = payers[i % len(payers)]
            total = Decimal(rng.choice(["135", "165", "195", "230"]))
            day = charge.date_of_service + dt.timedelta(days=rng.randrange(4))
            add(charge, LedgerEntry.CHARGE, total, day, payer)
            paid_day = day + dt.timedelta(days=14 + rng.randrange(60))
            if paid_day > today or rng.random() < 0.1:
                continue  # still with the payer
            allowed = (total * Decimal("0.7")).quantize(Decimal("0.01"))
            coins = (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
            add(charge, LedgerEntry.PAYER_PAYMENT, -(allowed - coins), paid_day, payer)
            add(charge, LedgerEntry.CONTRACTUAL, -(total - allowed), paid_day, payer)
            add(charge, LedgerEntry.TRANSFER, -coins, paid_day, payer)
            add(charge, LedgerEntry.TRANSFER, coins, paid_day)
            if rng.random() < 0.7:
                add(charge, LedgerEntry.PATIENT_PAYMENT, -coins, paid_day + dt.timedelta(20))
            elif rng.random() < 0.2:  # paid more than owed, on account: a credit
                add(charge, LedgerEntry.PATIENT_PAYMENT, -2 * coins, paid_day, on_visit=False)
        LedgerEntry.objects.bulk_create(entries, batch_size=5000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--visits", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    benchdb.setup_django(args.database_url, data_dir="mo-bench-ar")

    from django.utils import timezone

    from medoffice.billing import ar
    from medoffice.billing.models import LedgerEntry

    started = time.perf_counter()
    build(args.visits)
    print(f"books ready in {time.perf_counter() - started:.1f} s")
    print(f"{LedgerEntry.objects.count():,} ledger entries; {benchdb.machine_facts()}")
    today = timezone.localdate()
    last_month = ar.month_start(ar.month_start(today) - dt.timedelta(days=1))
    checks = {
        "aging by payer": lambda: ar.aging_buckets(today, "payer"),
        "aging by patient": lambda: ar.aging_buckets(today, "patient"),
        "aging by payer, 60 days ago": lambda: ar.aging_buckets(today - dt.timedelta(60)),
        "days in A/R": lambda: ar.days_in_ar(today),
        "net collection rate (90 days)": lambda: ar.net_collection_rate(
            today - dt.timedelta(89), today
        ),
        "month totals (close)": lambda: ar.month_totals(last_month),
    }
    for name, check in checks.items():
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            result = check()
            times.append(time.perf_counter() - t)
        summary = ""
        if isinstance(result, ar.Aging):
            credits = len(result.credits)
            summary = f"{len(result.rows)} rows, total {result.total}, credits {credits}"
        elif isinstance(result, ar.Ratio):
            summary = str(result)
        print(
            f"{name:32} median {statistics.median(times):6.2f} s  "
            f"(runs: {', '.join(f'{x:.2f}' for x in times)})  {summary}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
