"""What every benchmark script needs before it measures: its own database, Django set up on
it, synthetic NPIs, its practice, office, patients and their coverages, a timer that keeps the
CPU time apart from the wall-clock time, pyx12 timed on the same X12 text, and a line saying
what machine the figures come from.

    import benchdb
    benchdb.setup_django(url, data_dir="mo-bench-x")   # creates the PostgreSQL database if
                                                      # missing, then migrates it
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from medoffice.edi.values import npi_check_digit


def is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def ensure_postgres_database(url: str, *, fresh: bool = False) -> bool:
    """Create the PostgreSQL database named in ``url`` if it is missing (dropping it first
    when ``fresh``); True when it was created now."""
    import psycopg
    from psycopg import sql

    conninfo = url.replace("postgres://", "postgresql://", 1)
    name = psycopg.conninfo.conninfo_to_dict(conninfo).get("dbname")
    admin = psycopg.conninfo.make_conninfo(conninfo, dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True


def setup_django(url: str, *, data_dir: str, migrate: bool = True, fresh: bool = False) -> None:
    """Point medoffice at ``url`` (created when missing), keys in <tmp>/``data_dir`` unless
    $MEDOFFICE_DATA_DIR says otherwise, and migrate."""
    if is_postgres(url):
        ensure_postgres_database(url, fresh=fresh)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medoffice.settings")
    os.environ.setdefault("MEDOFFICE_DATA_DIR", str(Path(tempfile.gettempdir()) / data_dir))
    import django
    from django.core.management import call_command

    django.setup()
    if migrate:
        call_command("migrate", verbosity=0)


def valid_npi(seed: int, prefix: str = "3") -> str:
    """A synthetic NPI that passes the check digit: ``prefix`` + ``seed`` in 8 digits + the
    Luhn digit (each script its own prefix, so their providers never collide)."""
    body = f"{prefix}{seed:08d}"
    return body + str(npi_check_digit(body))


def machine_facts() -> str:
    """ "nproc 2, Python 3.11.7, PostgreSQL 15.20 …, Linux 6.x" of this run (Django set up)."""
    from django.db import connection

    server = connection.vendor
    with connection.cursor() as cur:
        if server == "postgresql":
            cur.execute("SHOW server_version")
            server = f"PostgreSQL {cur.fetchone()[0]}"
        else:
            cur.execute("SELECT sqlite_version()")
            server = f"SQLite {cur.fetchone()[0]}"
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    return (
        f"nproc {nproc}, Python {sys.version.split()[0]}, {server}, "
        f"{platform.system()} {platform.release()}"
    )


def bench_location(*, practice: str, location: str, zone: str = "America/Chicago", **fields):
    """The benchmark's practice and office (made the first time, found afterwards); ``fields``
    (address1, phone...) replace the office's defaults."""
    from medoffice.core.models import Location, Practice

    made, _ = Practice.objects.get_or_create(
        name=practice,
        defaults={
            "group_npi": "1234567893",
            "tax_id": "123456789",
            "billing_address1": "1 Bench St",
            "billing_city": "Springfield",
            "billing_state": "IL",
            "billing_zip": "62701",
        },
    )
    office, _ = Location.objects.get_or_create(
        name=location,
        defaults={
            "practice": made,
            "address1": "1 Bench St",
            "city": "Springfield",
            "state": "IL",
            "zip": "62701",
            "phone": "2175550199",
            "time_zone": zone,
            **fields,
        },
    )
    return office


def bench_patients(*, prefix: str, count: int, last_name: str = "Bench", batch_size: int = 2000):
    """``count`` synthetic patients in bulk, MRNs ``prefix`` + 6 digits, last names
    ``last_name`` + their number, all at one Springfield address."""
    from medoffice.patients.models import Patient

    return Patient.objects.bulk_create(
        (
            Patient(
                mrn=f"{prefix}{i:06d}",
                first_name="Pat",
                last_name=f"{last_name}{i}",
                date_of_birth=dt.date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                sex_at_birth="F" if i % 2 else "M",
                address1="1 Bench St",
                city="Springfield",
                state="IL",
                zip="62701",
            )
            for i in range(count)
        ),
        batch_size=batch_size,
    )


def bench_coverages(patients, *, payer, member_prefix: str):
    """Each patient's primary coverage with ``payer`` since 2020, member ids ``member_prefix``
    + 8 digits (encrypted and hashed as the model keeps them)."""
    from medoffice.patients.models import Coverage

    coverages = []
    for i, patient in enumerate(patients):
        coverage = Coverage(patient=patient, payer=payer, effective_date=dt.date(2020, 1, 1))
        coverage.set_member_id(f"{member_prefix}{i:08d}")
        coverages.append(coverage)
    return Coverage.objects.bulk_create(coverages)


def timed(runs: int, fn):
    """(the last result, median wall s, median CPU s of this process) of ``runs`` calls of
    ``fn``: the CPU time stays honest on a busy machine."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return result, statistics.median(walls), statistics.median(cpus)


def compare_with_pyx12(text: str, ours_cpu: float) -> None:
    """Time pyx12 once on the same X12 ``text``, its segment reader alone and its full
    implementation-guide check, and print each next to ``ours_cpu`` (our reader's CPU s)."""
    import pyx12.params
    import pyx12.x12file
    import pyx12.x12n_document

    logging.getLogger("pyx12").addHandler(logging.NullHandler())
    logging.getLogger("pyx12").propagate = False
    _, raw, raw_cpu = timed(1, lambda: sum(1 for _ in pyx12.x12file.X12Reader(io.StringIO(text))))
    print(
        f"pyx12 X12Reader (segments and envelopes, no guide): {raw:.2f} s wall, "
        f"{raw_cpu:.2f} s CPU = {raw_cpu / ours_cpu:.2f}x read_835's CPU"
    )
    valid, full, full_cpu = timed(
        1,
        lambda: pyx12.x12n_document.x12n_document(
            pyx12.params.params(), io.StringIO(text), None, None
        ),
    )
    print(
        f"pyx12 x12n_document (full guide check, valid={valid}): {full:.2f} s wall, "
        f"{full_cpu:.2f} s CPU = {full_cpu / ours_cpu:.1f}x read_835's CPU"
    )
