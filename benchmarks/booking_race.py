"""Race: many clients book the same few slots of one provider at the same instant.

Each client is a thread with its own database connection; all open their
connection, wait at a barrier, then call ``book_appointment`` for slot
``i % slots`` (every slot is wanted by clients/slots clients at once). The
visit type needs an exam room, so the room is raced for too.

Passes (exit 0) when: bookings == slots, overlaps (SQL self-join) == 0,
losers that got ``slot_taken`` == clients - slots, other errors == 0.

    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_booking \\
        python benchmarks/booking_race.py --clients 100 --slots 20

Works on SQLite too (``--database-url sqlite:////tmp/race.sqlite3``), where
IMMEDIATE transactions serialise the writers.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import booking_common  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url", help=f"default: $DATABASE_URL or {booking_common.DEFAULT_URL}"
    )
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument(
        "--without-locks",
        action="store_true",
        help="skip the advisory locks, to see the database constraint hold on its own",
    )
    args = parser.parse_args(argv)
    if args.slots < 1 or args.clients < args.slots:
        parser.error("need at least one slot and at least as many clients as slots")

    booking_common.configure(booking_common.database_url(args.database_url))
    from django.db import connection

    from medoffice.core.errors import DomainError
    from medoffice.scheduling.services import book_appointment, guards

    if args.without_locks:
        guards.locks_needed = lambda: False

    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute(
                "SELECT current_setting('max_connections')::int - "
                "(SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            )
            free = cur.fetchone()[0]
        if free < args.clients + 1:
            print(
                f"booking_race: the server has {free} free connections; {args.clients} clients "
                "need one each (raise max_connections or use fewer --clients)",
                file=sys.stderr,
            )
            return 2

    office = booking_common.build_office(
        providers=1, rooms=3, room_kind="exam", patients=args.clients
    )
    provider = office.providers[0]
    day = office.first_day
    first = dt.datetime.combine(day, dt.time(9, 0), tzinfo=booking_common.ZONE)
    minutes = office.appointment_type.duration_minutes
    slots = [first + dt.timedelta(minutes=minutes * i) for i in range(args.slots)]

    released: list[float] = []
    barrier = threading.Barrier(args.clients, action=lambda: released.append(time.perf_counter()))
    outcomes: list[tuple[str, str]] = [("", "")] * args.clients

    def client(i: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait()
            try:
                book_appointment(
                    actor=None,
                    patient=office.patients[i],
                    provider=provider,
                    location=office.location,
                    appointment_type=office.appointment_type,
                    start=slots[i % args.slots],
                )
                outcomes[i] = ("booked", "")
            except DomainError as exc:
                cause = exc.__cause__
                outcomes[i] = (
                    exc.code,
                    "" if cause is None else guards.sqlstate(cause) or "trigger",
                )
            except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
                outcomes[i] = ("error", f"{type(exc).__name__}: {exc}")
        finally:
            connection.close()

    connection.close()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - released[0] if released else float("nan")

    counts = collections.Counter(code for code, _ in outcomes)
    booked = booking_common.booked_count()
    overlaps = booking_common.overlaps()
    taken = counts["slot_taken"]
    other = args.clients - counts["booked"] - taken
    by_db = collections.Counter(how for code, how in outcomes if code == "slot_taken" and how)
    print(f"machine: {booking_common.machine_facts()}")
    print(
        f"clients {args.clients}, slots {args.slots}, "
        f"{elapsed:.2f} s from the start signal to the last answer"
    )
    print(f"bookings made: {booked} (expected {args.slots})")
    print(f"overlaps found by SQL self-join: {overlaps} (expected 0)")
    print(f"losers told slot_taken: {taken} (expected {args.clients - args.slots})")
    print(
        f"  of which refused by the database itself: {sum(by_db.values())} "
        f"(exclusion 23P01: {by_db['23P01']}, deadlock 40P01: {by_db['40P01']}, "
        f"SQLite trigger: {by_db['trigger']})"
    )
    print(f"other errors: {other} (expected 0)")
    if args.without_locks:
        print("(run without the advisory locks: the constraint alone decided)")
    for code, how in outcomes:
        if code not in ("booked", "slot_taken"):
            print(f"  {code}: {how}")
    ok = (
        booked == args.slots
        and counts["booked"] == args.slots
        and overlaps == 0
        and taken == args.clients - args.slots
        and other == 0
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
