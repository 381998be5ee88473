"""What every benchmark script needs before it measures: its own database, Django set up on
it, synthetic NPIs, and a line saying what machine the figures come from.

    import benchdb
    benchdb.setup_django(url, data_dir="mo-bench-x")   # creates the PostgreSQL database if
                                                      # missing, then migrates it
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path


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
    total = 24  # the 80840 prefix's share of the Luhn sum
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


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
