"""Build the benchmark practice: 50 providers, 5 offices, 200,000 patients, 2 years of history.

Usage (PostgreSQL; the database is created if missing, then migrated):

    python benchmarks/seed_large.py [--database-url postgres://127.0.0.1:5432/mo_bench_schedule]
        [--providers 50] [--locations 5] [--patients 200000] [--years 2] [--seed 1]

The database comes from --database-url, else $DATABASE_URL, else
postgres://127.0.0.1:5432/mo_bench_schedule. It is seeded with ``medoffice
seed``'s own generator (``seed_practice``) and the arguments above; a database
that already holds a practice is left as it is (run it again and it only
reports what is there), so the schedule benchmarks (next open slot, day view,
patient search) can share one practice. Prints how long migrating and each
part of the seed took. Keys live in $MEDOFFICE_DATA_DIR (default
<tmp>/mo-bench-schedule): run the other benchmarks with the same folder to
read the encrypted member ids. Figures go to docs/benchmarks.md ("Seeding the
benchmark practice").
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchdb  # noqa: E402

DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_schedule"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help=f"default: $DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--locations", type=int, default=5)
    parser.add_argument("--patients", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database named in ``url`` if missing; True when it was created."""
    return benchdb.ensure_postgres_database(url)


def machine() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0].split()[0]
    return (
        f"{os.cpu_count()} cores (nproc), Python {platform.python_version()}, "
        f"PostgreSQL {server}, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith(("postgres://", "postgresql://")):
        print(f"seed_large: {url!r} is not a PostgreSQL URL", file=sys.stderr)
        return 2
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medoffice.settings")
    os.environ.setdefault(
        "MEDOFFICE_DATA_DIR", str(Path(tempfile.gettempdir()) / "mo-bench-schedule")
    )

    created = ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command

    from medoffice.core.models import Practice
    from medoffice.demo.seed import seed_practice
    from medoffice.patients.models import Patient
    from medoffice.scheduling.models import Appointment, AppointmentEvent, Provider

    print(f"database: {url}{' (created)' if created else ''}")
    print(f"keys: MEDOFFICE_DATA_DIR={os.environ['MEDOFFICE_DATA_DIR']}")
    print(f"machine: {machine()}")
    print(f"command: {shlex.join([sys.executable, *sys.argv])}")
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")

    if Practice.objects.exists():
        print(
            f"already seeded: {Provider.objects.count()} providers, "
            f"{Patient.objects.count():,} patients, {Appointment.objects.count():,} appointments, "
            f"{AppointmentEvent.objects.count():,} events; nothing to do"
        )
        return 0

    summary = seed_practice(
        providers=args.providers,
        patients=args.patients,
        years=args.years,
        locations=args.locations,
        seed=args.seed,
        stdout=sys.stdout,
    )
    print()
    print("| part | seconds |")
    print("| --- | ---: |")
    for part, seconds in summary.steps:
        print(f"| {part} | {seconds:.1f} |")
    print(f"| **seed in all** (one transaction, commit included) | **{summary.seconds:.1f}** |")
    print(
        f"\n{summary.patients:,} patients, {summary.coverages:,} coverages, "
        f"{summary.providers} providers at {summary.locations} offices, "
        f"{summary.appointments:,} appointments ({summary.past_appointments:,} past, "
        f"{summary.future_appointments:,} from today on), {summary.events:,} events"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
