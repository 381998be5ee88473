"""Billing's background work, run by ``medoffice worker``.

- ``send_batch_task``: deliver one 837P batch (outbox or SFTP). A failed send is
  recorded on the batch and tried again twice, one and then two minutes later.
- ``statement_run_task``: make one statement run; a failed attempt is tried again and
  carries on where it stopped (a patient is in a run once).
- ``payment_plans_daily``: once a day (06:00 at the practice): plans behind or paid off, the plan
  reminders and missed-installment notices through messaging; it books the next day's run
  first. ``medoffice worker`` starts it (as it starts the messaging clock), and so does the
  payment plans page; :func:`book_payment_plans_review` books at most one run a day however
  many workers start at once.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from medoffice.core.tasks import retrying_task


@retrying_task(max_attempts=3, backoff_seconds=60)
def send_batch_task(batch_id: int, user_id: int | None = None) -> dict:
    from medoffice.billing.models import ClaimBatch
    from medoffice.billing.services.submission import send_batch

    batch = ClaimBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return {"batch": batch_id, "sent": False, "error": "no such batch"}
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    batch = send_batch(batch=batch, actor=actor)
    return {"batch": batch_id, "sent": True, "destination": batch.destination}


# Patient money: the statement run in the background, and the payment plans' daily review.


@retrying_task(max_attempts=3, backoff_seconds=60)
def statement_run_task(run_id: int, user_id: int | None = None) -> dict:
    """Make (or carry on making) one statement run; another attempt continues where it stopped."""
    from medoffice.billing.models import StatementRun
    from medoffice.billing.services.statements import run_statements

    run = StatementRun.objects.filter(pk=run_id).first()
    if run is None:
        return {"run": run_id, "error": "no such run"}
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    report = run_statements(actor=actor, run=run)
    return {"run": run_id, "statements": report.statements, "flagged": report.flagged}


@retrying_task(max_attempts=1)
def payment_plans_daily() -> dict:
    """Once a day: plans behind or paid off, their reminders and notices; books tomorrow's run
    first, so a run that fails does not stop the days after it."""
    from medoffice.billing.services.plans import review_plans

    book_payment_plans_review()
    return review_plans().as_dict()


REVIEW_AT = dt.time(6, 0)
# pg_advisory_xact_lock(namespace, key): booking the review, one transaction at a time.
_BOOKING_LOCK = (72_001, 1)


def _one_booking_at_a_time() -> None:
    """PostgreSQL: queue behind any other transaction booking the review (a transaction-level
    advisory lock). SQLite: every write transaction begins IMMEDIATE, so they queue anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", list(_BOOKING_LOCK))


def book_payment_plans_review(*, now: dt.datetime | None = None) -> bool:
    """Book the daily plan review unless it is booked already; True when this call booked it.

    It runs now when it has not run (or started) today, else tomorrow at 06:00 local time,
    so a worker started in the afternoon, a second worker, or the review booking its own next
    run, never run it twice in one day. A run left "running" on an earlier day by a worker
    that died does not count.
    """
    from django_tasks_db.models import DBTaskResult

    from medoffice.core.models import Location

    now = now or timezone.now()
    # The practice's clock, not the worker's (which has no zone of its own: UTC).
    zone = Location.practice_zone() or timezone.get_current_timezone()
    today = timezone.localdate(now, timezone=zone)
    midnight = timezone.make_aware(dt.datetime.combine(today, dt.time.min), zone)
    with transaction.atomic():
        _one_booking_at_a_time()
        results = DBTaskResult.objects.filter(task_path=payment_plans_daily.module_path)
        if results.filter(status="READY").exists():
            return False
        if results.filter(started_at__gte=midnight).exists():
            tomorrow = today + dt.timedelta(days=1)
            when = timezone.make_aware(dt.datetime.combine(tomorrow, REVIEW_AT), zone)
            payment_plans_daily.using(run_after=when).enqueue()
        else:
            payment_plans_daily.enqueue()
    return True
