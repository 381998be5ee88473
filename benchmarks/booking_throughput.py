"""Throughput: concurrent clients booking distinct free slots through ``book_appointment``.

Each client is its own process with its own database connection and books
for its own provider, one slot after another (15-minute visits that need an
exam room, 06:00–22:00 every day, rooms picked automatically), for
``--seconds``. Prints bookings per second over the whole run and per-booking
latency percentiles, and checks there is not a single overlap afterwards.

    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_booking \\
        python benchmarks/booking_throughput.py --clients 8 --seconds 10

``--room-kind none`` books visits that need no room (no room locks at all).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking_common  # noqa: E402

SLOTS_PER_DAY = 64  # 06:00-22:00 in 15-minute steps


def _client(index, office, go, deadline_holder, results) -> None:
    from django.db import connection

    from medoffice.core.errors import DomainError
    from medoffice.scheduling.services import book_appointment

    provider = office.providers[index]
    patients = office.patients
    minutes = office.appointment_type.duration_minutes
    latencies: list[float] = []
    errors: dict[str, int] = {}
    connection.ensure_connection()
    go.wait()
    deadline = deadline_holder.value
    n = 0
    while time.time() < deadline:
        day = office.first_day + dt.timedelta(days=n // SLOTS_PER_DAY)
        start = dt.datetime.combine(day, dt.time(6, 0), tzinfo=booking_common.ZONE)
        start += dt.timedelta(minutes=minutes * (n % SLOTS_PER_DAY))
        t0 = time.perf_counter()
        try:
            book_appointment(
                actor=None,
                patient=patients[(index * 7919 + n) % len(patients)],
                provider=provider,
                location=office.location,
                appointment_type=office.appointment_type,
                start=start,
            )
            latencies.append(time.perf_counter() - t0)
        except DomainError as exc:
            errors[exc.code] = errors.get(exc.code, 0) + 1
        n += 1
    connection.close()
    results.put((index, latencies, errors))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url", help=f"default: $DATABASE_URL or {booking_common.DEFAULT_URL}"
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--room-kind", choices=["exam", "none"], default="exam")
    parser.add_argument("--rooms", type=int, default=10)
    args = parser.parse_args(argv)

    booking_common.configure(booking_common.database_url(args.database_url))
    office = booking_common.build_office(
        providers=args.clients,
        rooms=args.rooms,
        room_kind="" if args.room_kind == "none" else "exam",
        patients=1000,
    )
    ctx = mp.get_context("fork")  # children inherit the set-up Django; each opens its own link
    go = ctx.Event()
    deadline = ctx.Value("d", 0.0)
    results = ctx.Queue()
    workers = [
        ctx.Process(target=_client, args=(i, office, go, deadline, results))
        for i in range(args.clients)
    ]
    for w in workers:
        w.start()
    time.sleep(1.0)  # let every client connect
    started = time.time()
    deadline.value = started + args.seconds
    go.set()
    collected = [results.get() for _ in workers]
    for w in workers:
        w.join()
    elapsed = time.time() - started

    latencies = [x for _, lat, _ in collected for x in lat]
    errors: dict[str, int] = {}
    for _, _, errs in collected:
        for code, count in errs.items():
            errors[code] = errors.get(code, 0) + count
    booked = booking_common.booked_count()
    overlaps = booking_common.overlaps()
    rate = len(latencies) / elapsed
    ms = sorted(x * 1000 for x in latencies)
    p50 = statistics.median(ms) if ms else float("nan")
    p95 = ms[int(0.95 * (len(ms) - 1))] if ms else float("nan")
    p99 = ms[int(0.99 * (len(ms) - 1))] if ms else float("nan")
    print(f"machine: {booking_common.machine_facts()}")
    print(
        f"clients {args.clients} (processes), {elapsed:.1f} s, room kind {args.room_kind}, "
        f"{args.rooms} rooms"
    )
    print(f"bookings: {len(latencies)} ({booked} in the database)")
    print(f"bookings/s: {rate:.0f}")
    print(f"latency per booking: p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms")
    print(f"refusals: {errors or 'none'}")
    print(f"overlaps found by SQL self-join: {overlaps} (expected 0)")
    ok = overlaps == 0 and not errors and booked == len(latencies)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
