"""Patient search speed on 200,000 patients: name prefixes, misspelt names, phones, dates of birth.

Usage (PostgreSQL; the database must exist, the script migrates it):

    psql -h 127.0.0.1 -c 'create database mo_bench_patients'
    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_patients \\
        python benchmarks/patient_search.py [--patients 200000] [--searches 500] [--seed 1]

The first run bulk-inserts the synthetic patients (the demo seed's own
generator: census-weighted US names, ages, phones) and prints how long that
took; later runs reuse them. Each search goes through
``medoffice.patients.selectors.search_patients`` exactly as the list page and
the API call it, with limit 25. Figures go to docs/benchmarks.md ("Patient search").
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medoffice.settings")
os.environ.setdefault("MEDOFFICE_DATA_DIR", str(Path(tempfile.gettempdir()) / "medoffice-bench"))

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from medoffice.core.models import Location, Practice  # noqa: E402
from medoffice.demo.context import SeedContext  # noqa: E402
from medoffice.demo.patients import draw_patients  # noqa: E402
from medoffice.demo.practice import create_practice  # noqa: E402
from medoffice.patients.models import Patient  # noqa: E402
from medoffice.patients.selectors import search_patients  # noqa: E402

BATCH = 5000
LIMIT = 25


def offices() -> dict[str, Location]:
    """The office for each state patients live in (a seeded practice's, or a new one)."""
    if not Practice.objects.exists():
        create_practice(ctx=SeedContext(seed=1, now=timezone.now(), years=2), npis=set())
    by_state: dict[str, Location] = {}
    for location in Location.objects.order_by("pk"):
        by_state.setdefault(location.state, location)
    fallback = next(iter(by_state.values()))
    return {state: by_state.get(state, fallback) for state in ("GA", "AL")}


def fill(count: int, seed: int) -> None:
    """Bulk-insert synthetic patients until ``count`` exist (MRNs 1..count, as the seed makes)."""
    have = Patient.objects.count()
    if have >= count:
        print(f"reusing {have:,} patients")
        return
    started = time.perf_counter()
    ctx = SeedContext(seed=seed, now=timezone.now(), years=2)
    drawn = draw_patients(ctx=ctx, count=count, location_for_state=offices())
    batch: list[Patient] = []
    with transaction.atomic():
        for number, item in enumerate(drawn, start=1):
            if number <= have:
                continue  # the same draws as last time: those are already in
            batch.append(item.patient)
            if len(batch) >= BATCH:
                Patient.objects.bulk_create(batch)
                batch = []
        if batch:
            Patient.objects.bulk_create(batch)
    inserted = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE patients_patient")
        else:
            cursor.execute("ANALYZE")
    total = time.perf_counter() - started
    print(
        f"inserted {count - have:,} patients in {inserted:.1f} s "
        f"({(count - have) / inserted:,.0f}/s); with VACUUM ANALYZE {total:.1f} s"
    )


def sample(rng: random.Random, n: int) -> list[Patient]:
    """``n`` random active patients (by random id, so no full scan)."""
    low = Patient.objects.order_by("pk").values_list("pk", flat=True).first()
    high = Patient.objects.order_by("-pk").values_list("pk", flat=True).first()
    picked: list[Patient] = []
    while len(picked) < n:
        pk = rng.randint(low, high)
        patient = Patient.objects.filter(pk__gte=pk, active=True).order_by("pk").first()
        if patient is not None:
            picked.append(patient)
    return picked


def name_prefix(rng: random.Random, p: Patient) -> str:
    last = p.last_name[: rng.randint(2, 4)]
    if rng.random() < 0.5:
        return f"{last} {p.first_name[: rng.randint(1, 3)]}"
    return last


def misspell(rng: random.Random, p: Patient) -> str:
    """The whole last name with one slip: two letters swapped, one dropped, doubled or wrong."""
    name = p.last_name
    i = rng.randrange(1, len(name) - 1)  # the first letter is usually right
    kind = rng.choice(("swap", "drop", "double", "wrong"))
    if kind == "swap":
        typo = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    elif kind == "drop":
        typo = name[:i] + name[i + 1 :]
    elif kind == "double":
        typo = name[:i] + name[i] + name[i:]
    else:
        typo = (
            name[:i]
            + rng.choice("aeiouy" if name[i] in "aeiouy" else "bcdfgklmnprst")
            + name[i + 1 :]
        )
    return typo


def phone(rng: random.Random, p: Patient) -> str:
    number = p.phone_mobile or p.phone_home
    style = rng.choice(("last4", "full", "formatted"))
    if style == "last4":
        return number[-4:]
    if style == "full":
        return number
    return f"({number[:3]}) {number[3:6]}-{number[6:]}"


class DatabaseClock:
    """Adds up the time spent waiting on the database (execute and fetch) during a search."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.queries += 1


def server_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend (same machine only)."""
    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the server runs elsewhere
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def time_searches(label: str, queries: list[str], check: Callable | None = None) -> None:
    for q in queries[:20]:  # warm the caches and the connection
        search_patients(query=q, limit=LIMIT)
    timings, in_db, hits, counts, per_search = [], [], 0, [], []
    client_cpu, server_cpu = time.process_time(), server_cpu_seconds()
    for q in queries:
        clock = DatabaseClock()
        with connection.execute_wrapper(clock):
            started = time.perf_counter()
            found = search_patients(query=q, limit=LIMIT)
            timings.append((time.perf_counter() - started) * 1000)
        in_db.append(clock.seconds * 1000)
        per_search.append(clock.queries)
        counts.append(len(found))
        if check is not None and check(q, found):
            hits += 1
    client_cpu = (time.process_time() - client_cpu) * 1000 / len(queries)
    server_cpu = (server_cpu_seconds() - server_cpu) * 1000 / len(queries)
    cuts = statistics.quantiles(timings, n=100, method="inclusive")
    db_cuts = statistics.quantiles(in_db, n=100, method="inclusive")
    line = (
        f"{label:<31} n={len(queries):<4} p50 {cuts[49]:6.2f} ms  p95 {cuts[94]:6.2f} ms  "
        f"p99 {cuts[98]:6.2f} ms  max {max(timings):6.2f} ms | in the database: "
        f"p50 {db_cuts[49]:5.2f} ms  p95 {db_cuts[94]:5.2f} ms | "
        f"queries {statistics.mean(per_search):3.1f}  results {statistics.mean(counts):4.1f}"
    )
    line += f" | CPU per search: client {client_cpu:4.2f} ms, server {server_cpu:4.2f} ms"
    if check is not None:
        line += f" | found the patient {hits / len(queries):.0%}"
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    call_command("migrate", verbosity=0)
    fill(args.patients, args.seed)

    rng = random.Random(f"patient-search:{args.seed}")
    people = sample(rng, args.searches)
    by_query: dict[str, Patient] = {}

    def wanted(q: str, found: list[Patient]) -> bool:
        return any(f.last_name == by_query[q].last_name for f in found)

    prefixes = [name_prefix(rng, p) for p in people]
    time_searches("name prefix (2-4 letters)", prefixes)

    typos = []
    for p in people:
        if len(p.last_name) >= 5:
            q = misspell(rng, p)
            by_query[q] = p
            typos.append(q)
    time_searches("misspelt last name", typos, wanted)

    phones = [phone(rng, p) for p in people]
    time_searches("phone (last 4, full, formatted)", phones)

    dobs = [f"{p.date_of_birth:%m/%d/%Y}" for p in people]
    time_searches("date of birth", dobs)

    mrns = [p.mrn for p in people]
    time_searches("MRN", mrns)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
