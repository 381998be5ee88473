"""How long importing a 999 and a 277CA takes for a full batch (5,000 claims, the batch limit).

Usage:
    python benchmarks/ack_import.py [--database-url URL] [--claims 5000] [--runs 3]

Sets up (once; reused) the scrubber benchmark's practice and claims in its own
database (postgres://127.0.0.1:5432/mo_bench_acks, or --database-url, e.g.
sqlite:////tmp/acks.sqlite3), puts ``--claims`` of them in one batch as
submitted, then per run times ``import_acknowledgement`` on:

- a 999 rejecting the batch (every claim becomes rejected with the errors), and
- a 277CA answering every claim (half accepted with a payer claim number, half
  rejected with a reason).

Between runs the claims go back to submitted and the imported files and events
are removed (a benchmark database only). Prints wall and CPU seconds per run.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import scrub_claims  # noqa: E402
from tests.edi.x12text import interchange  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_acks"
GROUP, TRANSACTION = 900_000_001, "9001"


def prepare(claims: int):
    from medoffice.billing.models import Claim, ClaimBatch

    ids = list(
        Claim.objects.filter(patient_control_number__startswith="SB")
        .order_by("pk")
        .values_list("pk", flat=True)[:claims]
    )
    batch = ClaimBatch.objects.filter(group_control_number=GROUP).first()
    if batch is None:
        batch = ClaimBatch.objects.create(
            interchange_control_number=GROUP,
            group_control_number=GROUP,
            transaction_control_number=TRANSACTION,
            claim_count=len(ids),
            text="(benchmark)",
        )
    batch.claims.set(ids)
    return batch, ids


def reset(ids: list[int]) -> None:
    from medoffice.billing.models import AcknowledgementFile, Claim, ClaimEvent

    AcknowledgementFile.objects.all().delete()
    ClaimEvent.objects.filter(claim_id__in=ids).delete()
    Claim.objects.filter(pk__in=ids).update(status=Claim.SUBMITTED, payer_claim_number="")


def rejecting_999() -> bytes:
    body = [
        f"AK1*HC*{GROUP}*005010X222A1",
        f"AK2*837*{TRANSACTION}*005010X222A1",
        "IK3*NM1*17*2010BA*8",
        "IK4*9*67*7*XX99",
        "IK5*R*5",
        "AK9*R*1*1*0",
    ]
    return interchange(body, st="999", version="005010X231A1", functional_id="FA").encode()


def answering_277(numbers: list[str]) -> bytes:
    body = [
        "BHT*0085*08*BENCH*20260320*1200*TH",
        "HL*1**20*1",
        "NM1*PR*2*EXAMPLE PAYER*****PI*12345",
        "TRN*1*T1",
        "HL*2*1*21*1",
        "NM1*41*2*BENCH*****46*SUB1",
        "TRN*2*B1",
        "STC*A1:20*20260320*WQ*1",
        "HL*3*2*19*1",
        "NM1*85*2*BENCH CLINIC*****XX*1234567893",
        "TRN*1*P1",
        "STC*A1:20*20260320*WQ*1",
    ]
    for n, number in enumerate(numbers):
        body += [f"HL*{n + 4}*3*PT", "NM1*QC*1*DOE*JANE****MI*M1", f"TRN*2*{number}"]
        if n % 2:
            body += ["STC*A7:562:85*20260320*U*150********NPI NOT ON FILE"]
        else:
            body += ["STC*A2:20*20260320*WQ*150", f"REF*1K*ICN{n:08d}"]
    return interchange(body, st="277", version="005010X214", functional_id="HN").encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--claims", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MEDOFFICE_DATA_DIR", str(Path(tempfile.gettempdir()) / "mo-bench-acks"))
    scrub_claims.configure(args.database_url)
    from django.db import connection

    from medoffice.billing.models import Claim
    from medoffice.billing.services.acknowledgements import import_acknowledgement

    started = time.perf_counter()
    scrub_claims.build(args.claims)
    batch, ids = prepare(args.claims)
    numbers = list(
        Claim.objects.filter(pk__in=ids)
        .order_by("pk")
        .values_list("patient_control_number", flat=True)
    )
    files = {
        "999 rejecting the batch": rejecting_999(),
        "277CA for every claim": answering_277(numbers),
    }
    print(
        f"set-up: {time.perf_counter() - started:.1f} s ({connection.vendor}), {len(ids):,} claims"
    )
    for label, data in files.items():
        walls = []
        for run in range(args.runs):
            reset(ids)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            result = import_acknowledgement(data, actor=None, filename=f"bench-{run}")
            walls.append(time.perf_counter() - wall0)
            cpu = time.process_time() - cpu0
            print(
                f"{label}, run {run + 1}: {len(data):,} bytes in {walls[-1]:.2f} s "
                f"(CPU {cpu:.2f} s): {result.accepted:,} accepted, {result.rejected:,} rejected"
            )
        print(f"{label}: median {statistics.median(walls):.2f} s, best {min(walls):.2f} s")
    reset(ids)
    print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
