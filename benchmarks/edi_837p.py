"""How fast medoffice.edi writes and parses a 10,000-claim 837P, and reads an 835 against pyx12.

Usage:
    python benchmarks/edi_837p.py [--claims 10000] [--runs 3] [--remit-claims 10000]
                                  [--no-pyx12] [--seed 7]

No database: the claims are synthetic dataclasses made from a seeded random
generator, so every run writes the same file. Prints the machine (cores,
architecture, load average before and after), the date and the figures:
write_837p and parse_837p (median wall and CPU time of --runs; the parse is
checked to give back exactly what was written), then an 835 of --remit-claims claim
payments read by read_835 (and reconciled) against pyx12 on the same text:
its segment reader alone (X12Reader, no guide) and its full guide validation.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

from medoffice.edi.values import npi_check_digit
from medoffice.edi.x835 import read_835
from medoffice.edi.x837p import (
    Address,
    BillingProvider,
    Claim,
    ClaimBatch,
    ClaimFile,
    Contact,
    Envelope,
    Patient,
    Payer,
    Provider,
    ProviderClaims,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
    SubscriberClaims,
    parse_837p,
    write_837p,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import benchdb  # noqa: E402

CODES = ["99212", "99213", "99214", "99215", "36415", "93000", "81002", "90471", "97110", "J1100"]
MODIFIERS = ["25", "59", "XU", "76", "GT", "95", "LT", "RT"]
DIAGNOSES = ["E119", "I10", "Z0000", "M545", "J069", "R0789", "F329", "N390", "K219", "E785"]
NAMES = ["Lee", "Garcia", "Patel", "Nguyen", "Smith", "Okafor", "Kowalski", "Haddad", "Brown"]
FIRST = ["Ana", "Luis", "Susan", "Wei", "Maria", "James", "Fatima", "Olga", "Tom", "Rosa"]


def npi(seed: int) -> str:
    body = f"1{seed % 10**8:08d}"
    return body + str(npi_check_digit(body))


def synthetic_claim_file(count: int, rng: random.Random) -> ClaimFile:
    """``count`` claims from one group practice to one clearinghouse, 1-3 per subscriber."""
    office = Address("100 Main St", "Springfield", "IL", "627011234")
    providers = [Provider(rng.choice(NAMES), rng.choice(FIRST), npi(500 + i)) for i in range(12)]
    payers = [Payer(f"Health Plan {i}", f"HP{i:03d}") for i in range(8)]
    start = dt.date(2024, 1, 2)
    subscribers: list[SubscriberClaims] = []
    made = 0
    while made < count:
        day = start + dt.timedelta(days=rng.randrange(300))
        home = Address(f"{rng.randrange(1, 999)} Elm St", "Springfield", "IL", "62702")
        sub = Subscriber(
            member_id=f"M{made:08d}",
            last_name=rng.choice(NAMES),
            first_name=rng.choice(FIRST),
            birth_date=dt.date(1940 + rng.randrange(60), rng.randrange(1, 13), 1),
            sex=rng.choice("MF"),
            address=home,
            group_number=f"G{rng.randrange(1000)}",
        )
        patient = None
        if rng.random() < 0.3:
            sub = Subscriber(sub.member_id, sub.last_name, sub.first_name, group_number="G1")
            patient = Patient(
                "19", sub.last_name, rng.choice(FIRST), dt.date(2012, 5, 1), "F", home
            )
        claims = []
        for _ in range(min(rng.randrange(1, 4), count - made)):
            diagnoses = tuple(rng.sample(DIAGNOSES, rng.randrange(1, 5)))
            lines = tuple(
                ServiceLine(
                    procedure_code=rng.choice(CODES),
                    charge=Decimal(rng.randrange(1500, 40000)) / 100,
                    service_date=day,
                    diagnosis_pointers=tuple(range(1, min(len(diagnoses), 4) + 1)),
                    units=Decimal(rng.randrange(1, 4)),
                    modifiers=tuple(rng.sample(MODIFIERS, rng.randrange(0, 3))),
                    control_number=f"L{made}-{n}",
                )
                for n in range(rng.randrange(1, 5))
            )
            claims.append(
                Claim(
                    patient_control_number=f"C{made:09d}",
                    place_of_service=rng.choice(["11", "11", "11", "02", "22"]),
                    diagnoses=diagnoses,
                    lines=lines,
                    rendering_provider=rng.choice(providers),
                    prior_authorization=f"PA{made}" if rng.random() < 0.1 else "",
                )
            )
            made += 1
        subscribers.append(SubscriberClaims(sub, rng.choice(payers), tuple(claims), patient))
    group = BillingProvider(
        "Riverside Family Medicine", npi(42), "123456789", office, taxonomy="207Q00000X"
    )
    created = dt.datetime.combine(dt.date(2024, 11, 1), dt.time(18, 30))
    batch = ClaimBatch(
        control_number="0001",
        reference="BENCH-1",
        created=created,
        submitter=Submitter(
            "Riverside Family Medicine", "RFM001", Contact("Billing", "2175550100")
        ),
        receiver=Receiver("Clearing House", "CH0001"),
        providers=(ProviderClaims(group, tuple(subscribers)),),
    )
    envelope = Envelope("RIVERSIDE01", "CLEARHOUSE", 1, 1, created)
    return ClaimFile(envelope, (batch,))


def synthetic_835(count: int, rng: random.Random) -> str:
    """An 835 paying ``count`` claims with 1-3 lines each, CO-45 and PR adjustments, a PLB."""
    body = []
    paid_total = Decimal(0)
    for i in range(count):
        lines = []
        for n in range(rng.randrange(1, 4)):
            charge = Decimal(rng.randrange(5000, 30000)) / 100
            contractual = (charge * Decimal("0.3")).quantize(Decimal("0.01"))
            patient = Decimal(rng.choice([0, 0, 10, 20, 35]))
            lines.append((charge, contractual, patient, charge - contractual - patient, n))
        charge = sum(x[0] for x in lines)
        paid = sum(x[3] for x in lines)
        patient = sum(x[2] for x in lines)
        paid_total += paid
        body += [
            f"CLP*C{i:09d}*1*{charge}*{paid}*{patient}*12*P{i:012d}*11*1",
            f"NM1*QC*1*{rng.choice(NAMES).upper()}*{rng.choice(FIRST).upper()}****MI*M{i:08d}",
            "DTM*232*20240304",
        ]
        for line_charge, contractual, patient, line_paid, n in lines:
            body += [
                f"SVC*HC:{rng.choice(CODES)}:25*{line_charge}*{line_paid}**1",
                "DTM*472*20240304",
                f"CAS*CO*45*{contractual}",
            ]
            if patient:
                body.append(f"CAS*PR*2*{patient}")
            body += [f"REF*6R*L{i}-{n}", f"AMT*B6*{line_charge - contractual}"]
    plb = Decimal("12.34")
    header = [
        f"BPR*I*{paid_total - plb}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*888888888"
        "*DA*654321*20241105",
        "TRN*1*EFT20241105*1512345678",
        "DTM*405*20241104",
        "N1*PR*HEALTH PLAN*XV*HP001",
        "N3*1 INSURANCE WAY",
        "N4*CHICAGO*IL*60601",
        "PER*BL*EDI SUPPORT*TE*8005550100",
        "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*" + npi(42),
        "REF*TJ*123456789",
        "LX*1",
    ]
    segments = ["ST*835*0001", *header, *body]  # the 835 guide marks ST03 "not used"
    segments += [f"PLB*{npi(42)}*20241231*WO:OVERPAY*{plb}", f"SE*{len(segments) + 2}*0001"]
    isa = (
        "ISA*00*          *00*          *ZZ*HEALTHPLAN     *ZZ*RIVERSIDE01    *241105*0900*^*"
        "00501*000000001*0*P*:"
    )
    gs = "GS*HP*HEALTHPLAN*RIVERSIDE01*20241105*0900*1*X*005010X221A1"
    return "~\n".join([isa, gs, *segments, "GE*1*1", "IEA*1*000000001"]) + "~\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--remit-claims", type=int, default=10_000)
    parser.add_argument("--no-pyx12", action="store_true", help="skip the pyx12 comparison")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.claims < 1 or args.runs < 1 or args.remit_claims < 1:
        parser.error("--claims, --runs and --remit-claims must be at least 1")

    print(f"date: {dt.datetime.now(dt.UTC).astimezone():%Y-%m-%d %H:%M %Z}")
    print(f"command: python {' '.join(sys.argv)}")
    print(
        f"machine: {os.cpu_count()} cores (nproc), {platform.machine()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.2f}"
    )
    rng = random.Random(args.seed)
    t0 = time.perf_counter()
    claim_file = synthetic_claim_file(args.claims, rng)
    lines = sum(len(c.lines) for c in claim_file.claims())
    print(f"built {args.claims} claims ({lines} lines) in {time.perf_counter() - t0:.2f} s")

    text, wall, cpu = benchdb.timed(args.runs, lambda: write_837p(claim_file))
    segments = text.count("~")
    print(
        f"write_837p: median {wall:.2f} s wall, {cpu:.2f} s CPU "
        f"({len(text) / 1e6:.1f} MB, {segments} segments)"
    )
    back, wall, cpu = benchdb.timed(args.runs, lambda: parse_837p(text))
    assert back == claim_file, "the parse did not give back what was written"
    print(f"parse_837p: median {wall:.2f} s wall, {cpu:.2f} s CPU (equal to the input: yes)")

    remit = synthetic_835(args.remit_claims, random.Random(args.seed))
    (remittance,), ours, ours_cpu = benchdb.timed(args.runs, lambda: read_835(remit))
    assert remittance.imbalances() == [], remittance.imbalances()[:3]
    print(
        f"835: {args.remit_claims} claim payments, {len(remit) / 1e6:.1f} MB, "
        f"{remit.count('~')} segments, total paid {remittance.total_paid} (reconciles)"
    )
    print(f"read_835: median {ours:.2f} s wall, {ours_cpu:.2f} s CPU")
    if not args.no_pyx12:
        benchdb.compare_with_pyx12(remit, ours_cpu)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
