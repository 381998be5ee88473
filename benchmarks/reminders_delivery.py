"""Reminders: N due at once, delivered by real ``medoffice worker`` processes to a local SMS
provider; optionally one worker is killed mid-batch and restarted.

The provider (``tests/messaging/provider_server.py``, its own process) counts every request
and every delivery (an idempotency key seen for the first time). Passes (exit 0) when every
message ends ``sent``, the provider delivered exactly N texts (one per key: none twice, none
skipped), and, without ``--kill-after``, within ``--deadline`` seconds.

    DATABASE_URL=postgres://127.0.0.1:5432/mo_bench_reminders \\
        python benchmarks/reminders_delivery.py --messages 10000 --workers 2
    python benchmarks/reminders_delivery.py --messages 2000 --workers 2 --kill-after 500

Works on SQLite too (``--database-url sqlite:////tmp/reminders.sqlite3``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import benchdb  # noqa: E402

ZONE = zoneinfo.ZoneInfo("America/Chicago")
DEFAULT_URL = "postgres://127.0.0.1:5432/mo_bench_reminders"
TOKEN = "test-provider-token"  # noqa: S105 (the local provider's)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the provider did not start on port {port}")


def configure(url: str) -> None:
    """Create the database if needed (PostgreSQL), set Django up on it, and migrate it."""
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg
        from psycopg import sql

        conninfo = url.replace("postgres://", "postgresql://", 1)
        name = psycopg.conninfo.conninfo_to_dict(conninfo).get("dbname")
        admin = psycopg.conninfo.make_conninfo(conninfo, dbname="postgres")
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not found.fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medoffice.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _npi(seed: int) -> str:
    """A valid NPI (Luhn check digit over the 80840 prefix) from a sequence number."""
    body = f"3{seed:08d}"
    total = 24
    for i, ch in enumerate(reversed(body)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def _office(providers: int):
    """A practice, a location, ``providers`` doctors and one visit type (made once, reused)."""
    from types import SimpleNamespace

    from medoffice.scheduling.models import AppointmentType, Provider

    location = benchdb.bench_location(practice="Bench Family Practice", location="Bench Reminders")
    kind, _ = AppointmentType.objects.get_or_create(
        code="REMB", defaults={"name": "Reminder bench visit", "duration_minutes": 15}
    )
    doctors = []
    for i in range(providers):
        doctor, created = Provider.objects.get_or_create(
            npi=_npi(500 + i),
            defaults={"first_name": "Remind", "last_name": f"Doc{i:03d}", "credentials": "MD"},
        )
        if created:
            doctor.locations.add(location)
        doctors.append(doctor)
    today = dt.datetime.now(ZONE).date()
    return SimpleNamespace(
        location=location,
        providers=doctors,
        appointment_type=kind,
        first_day=today + dt.timedelta(days=7),
    )


def build_messages(count: int) -> None:
    """A clean slate, then ``count`` reminders for as many visits, all due now."""
    from django.db import connection, transaction
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from medoffice.messaging.models import (
        CallbackRequest,
        InboundMessage,
        Message,
        MessageEvent,
        OptOut,
    )
    from medoffice.patients.models import Patient, mrn_from_sequence
    from medoffice.scheduling.models import Appointment, AppointmentEvent

    with transaction.atomic():
        DBTaskResult.objects.all().delete()
        CallbackRequest.objects.all().delete()
        InboundMessage.objects.all().delete()
        MessageEvent.objects.all().delete()
        Message.objects.filter(fallback_of__isnull=False).delete()
        Message.objects.all().delete()
        OptOut.objects.all().delete()
    providers = max(1, count // 500)
    office = _office(providers)
    with transaction.atomic():
        AppointmentEvent.objects.filter(appointment__patient__last_name="Remind").delete()
        Appointment.objects.filter(patient__last_name="Remind").delete()
        Patient.objects.filter(last_name="Remind").delete()
        base = 900_000
        Patient.objects.bulk_create(
            Patient(
                mrn=mrn_from_sequence(base + i),
                first_name=f"P{i:05d}",
                last_name="Remind",
                date_of_birth=dt.date(1970, 1, 1) + dt.timedelta(days=i % 9000),
                sex_at_birth="F",
                address1="1 Bench St",
                city="Springfield",
                state="IL",
                zip="62701",
                phone_mobile=f"217{5_000_000 + i:07d}",
                preferred_contact="sms",
                consent_sms=True,
                consent_sms_on=dt.date(2025, 1, 1),
                contact_hours_start=dt.time(0, 0),
                contact_hours_end=dt.time(23, 59),
                home_location=office.location,
            )
            for i in range(count)
        )
        patients = list(Patient.objects.filter(last_name="Remind").order_by("mrn"))
        first = dt.datetime.combine(
            office.first_day + dt.timedelta(days=3), dt.time(6, 0), tzinfo=ZONE
        )
        now = timezone.now()
        visits = []
        for i, patient in enumerate(patients):
            provider = office.providers[i % providers]
            slot = i // providers
            day, minute = divmod(slot, 64)
            start = first + dt.timedelta(days=day, minutes=15 * minute)
            visits.append(
                Appointment(
                    patient=patient,
                    provider=provider,
                    location=office.location,
                    appointment_type=office.appointment_type,
                    start=start,
                    end=start + dt.timedelta(minutes=15),
                    booked_at=now,
                )
            )
        Appointment.objects.bulk_create(visits, batch_size=2000)
        visits = list(
            Appointment.objects.filter(patient__last_name="Remind").select_related("patient")
        )
        Message.objects.bulk_create(
            (
                Message(
                    patient=v.patient,
                    appointment=v,
                    channel="sms",
                    purpose="reminder",
                    to_address=v.patient.phone_mobile,
                    body=f"Bench Family Practice: a reminder of your visit {v.start:%b %d %H:%M}.",
                    planned_for=now,
                    scheduled_for=now,
                )
                for v in visits
            ),
            batch_size=2000,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE messaging_message")


def counts() -> dict[str, int]:
    from django.db.models import Count

    from medoffice.messaging.models import Message

    return dict(Message.objects.values_list("status").annotate(n=Count("id")).order_by())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help=f"default: $DATABASE_URL or {DEFAULT_URL}")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--kill-after",
        type=int,
        default=0,
        help="SIGKILL the first worker once this many are sent, then start it again",
    )
    parser.add_argument("--lease", type=float, default=5, help="MEDOFFICE_MESSAGE_LEASE (s)")
    parser.add_argument("--deadline", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args(argv)
    if args.messages < 1 or args.workers < 1:
        parser.error("need at least one message and one worker")

    url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_URL
    os.environ.setdefault(
        "MEDOFFICE_DATA_DIR", str(Path(tempfile.gettempdir()) / "mo-bench-reminders")
    )
    configure(url)
    from django.db import close_old_connections, connection

    from medoffice.messaging.models import Message
    from medoffice.messaging.tasks import ensure_messaging_clock, start_senders

    print(f"database: {connection.vendor}; machine: {platform.node()} ({os.cpu_count()} CPUs)")
    started = time.monotonic()
    build_messages(args.messages)
    print(f"set-up: {args.messages} reminders due now ({time.monotonic() - started:.1f} s)")

    port = _free_port()
    provider = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, sys.argv[1]); "
            "from tests.messaging.provider_server import serve_forever_on; "
            "serve_forever_on(int(sys.argv[2]))",
            str(ROOT),
            str(port),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    _wait_for_port(port)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MEDOFFICE_SMS_URL": f"http://127.0.0.1:{port}",
        "MEDOFFICE_SMS_TOKEN": TOKEN,
        "MEDOFFICE_SMS_FROM": "2175550199",
        "MEDOFFICE_QUIET_HOURS": "off",
        "MEDOFFICE_MESSAGE_LEASE": str(args.lease),
        "MEDOFFICE_MESSAGING_CLOCK": "2",
        "MEDOFFICE_MESSAGE_SENDERS": str(args.workers),
    }
    os.environ.update({k: v for k, v in env.items() if k.startswith("MEDOFFICE_")})
    start_senders()
    ensure_messaging_clock()
    close_old_connections()
    medoffice = str(Path(sys.executable).with_name("medoffice"))

    logs = Path(os.environ["MEDOFFICE_DATA_DIR"])
    logs.mkdir(parents=True, exist_ok=True)

    def start_worker(n: int) -> subprocess.Popen:
        log = (logs / f"worker-{n}.log").open("a")
        return subprocess.Popen(
            [medoffice, "worker", "--interval", "0.2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    workers = [start_worker(n + 1) for n in range(args.workers)]
    print(f"worker logs: {logs}/worker-N.log")
    t0 = time.monotonic()
    killed_at = None
    in_flight_at_kill = 0
    done_at = None
    try:
        while time.monotonic() - t0 < args.timeout:
            time.sleep(0.25)
            now_counts = counts()
            sent = now_counts.get("sent", 0)
            if args.kill_after and killed_at is None and sent >= args.kill_after:
                workers[0].send_signal(signal.SIGKILL)
                workers[0].wait()
                killed_at = time.monotonic() - t0
                in_flight_at_kill = counts().get("sending", 0)
                print(
                    f"killed worker 1 at {killed_at:.1f} s with {sent} sent "
                    f"and {in_flight_at_kill} claimed but not finished; restarting it"
                )
                workers[0] = start_worker(1)
            if sent + now_counts.get("failed", 0) + now_counts.get("cancelled", 0) >= args.messages:
                done_at = time.monotonic() - t0
                break
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            try:
                w.wait(timeout=20)
            except subprocess.TimeoutExpired:
                w.kill()
        provider.send_signal(signal.SIGTERM)
        out, _ = provider.communicate(timeout=20)
    stats = json.loads(out.strip().splitlines()[-1])
    final = counts()
    distinct_ids = (
        Message.objects.exclude(provider_message_id="")
        .values("provider_message_id")
        .distinct()
        .count()
    )
    print(f"final statuses: {final}")
    print(
        f"provider: {stats['requests']} requests, {stats['deliveries']} texts delivered, "
        f"{stats['keys_sent_more_than_once']} keys sent more than once (answered from the "
        "idempotency record, not delivered again)"
    )
    print(f"distinct provider message ids recorded: {distinct_ids}")
    ok = final.get("sent", 0) == args.messages and stats["deliveries"] == args.messages
    ok = ok and stats["distinct_keys"] == args.messages and distinct_ids == args.messages
    if done_at is None:
        print(f"NOT DONE within {args.timeout:.0f} s")
        return 1
    rate = args.messages / done_at if done_at else 0
    print(
        f"delivered {args.messages} with {args.workers} workers in {done_at:.1f} s "
        f"({rate:.0f}/s)" + (f" after a kill at {killed_at:.1f} s" if killed_at else "")
    )
    print(f"sent once each, none skipped: {'yes' if ok else 'NO'}")
    if not args.kill_after and done_at > args.deadline:
        print(f"slower than the {args.deadline:.0f} s target")
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
