"""Billing's background work, run by ``medoffice worker``.

- ``send_batch_task``: deliver one 837P batch (outbox or SFTP). A failed send is
  recorded on the batch and tried again twice, one and then two minutes later.
- ``statement_run_task``: make one statement run; a failed attempt is tried again and
  carries on where it stopped (a patient is in a run once).
- ``payment_plans_daily``: plans behind or paid off, reminders due; books the next day's run.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

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
    """Once a day: plans behind or paid off, installments to remind of; books tomorrow's run."""
    from medoffice.billing.services.plans import review_plans

    book_payment_plans_review(tomorrow=True)
    return review_plans().as_dict()


def book_payment_plans_review(*, tomorrow: bool = False) -> bool:
    """Book the daily plan review (at 06:00 local tomorrow, or now) unless one is waiting."""
    import datetime as dt

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    waiting = DBTaskResult.objects.filter(task_path=payment_plans_daily.module_path, status="READY")
    if waiting.exists():
        return False
    if tomorrow:
        day = timezone.localdate() + dt.timedelta(days=1)
        when = timezone.make_aware(dt.datetime.combine(day, dt.time(6, 0)))
        payment_plans_daily.using(run_after=when).enqueue()
    else:
        payment_plans_daily.enqueue()
    return True
