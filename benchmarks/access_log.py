"""How fast the PHI access log appends (one writer and several at once) and verifies.

Usage:
    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_audit \\
        python benchmarks/access_log.py [--rows 100000] [--clients 8] [--seconds 10]

Migrates the database first. Appends with `record_access` (the one door every
page uses), so each row takes the chain-head lock exactly as in production.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows to verify (default 100k)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent writers (default 8)")
    parser.add_argument("--seconds", type=float, default=10, help="length of each append run")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medoffice.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, connections

    from medoffice.core.audit import record_access, verify_chain
    from medoffice.core.models import AccessLogEntry, User

    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(username="bench-audit", defaults={"first_name": "Bench"})
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}")

    def append_for(seconds: float, latencies: list[float], stop_at: float) -> None:
        try:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                record_access(user=user, action="view", object_type="patient", object_id=1)
                latencies.append(time.perf_counter() - t0)
        finally:
            connections.close_all()

    for clients in (1, args.clients):
        lists: list[list[float]] = [[] for _ in range(clients)]
        stop_at = time.perf_counter() + args.seconds
        threads = [
            threading.Thread(target=append_for, args=(args.seconds, lists[i], stop_at))
            for i in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        lat = sorted(x for lst in lists for x in lst)
        p95 = lat[int(len(lat) * 0.95)] * 1000
        print(
            f"append, {clients} client(s): {len(lat) / args.seconds:,.0f} rows/s, "
            f"median {statistics.median(lat) * 1000:.2f} ms, p95 {p95:.2f} ms"
        )

    missing = args.rows - AccessLogEntry.objects.count()
    if missing > 0:
        t0 = time.perf_counter()
        for i in range(missing):
            record_access(user=user, action="view", object_type="patient", object_id=i)
        print(f"filled the log to {args.rows:,} rows in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    report = verify_chain()
    took = time.perf_counter() - t0
    print(f"verify: {report.checked:,} rows in {took:.2f} s ({report.checked / took:,.0f} rows/s)")
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
