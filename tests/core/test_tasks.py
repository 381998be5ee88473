"""Background work: run by `medoffice worker`, scheduled for later, retried, then shown failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medoffice.core.tasks import describe_result
from tests.core import sample_tasks


@pytest.fixture(autouse=True)
def _reset_counters():
    for key in sample_tasks.calls:
        sample_tasks.calls[key] = 0


def run_worker():
    """Run every due task in-process, as `medoffice worker --batch` does.

    The worker closes and reopens database connections between tasks, so these
    tests use real transactions (transaction=True) rather than one rolled-back one.
    """
    call_command("worker", "--batch", "--interval", "0", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_worker_runs_an_enqueued_task():
    result = sample_tasks.adds.enqueue(2, 3)
    run_worker()
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.status == "SUCCESSFUL"
    assert row.return_value == 5
    assert describe_result(row).label == "Done"


@pytest.mark.django_db(transaction=True)
def test_task_scheduled_for_later_waits():
    later = timezone.now() + timedelta(hours=2)
    result = sample_tasks.adds.using(run_after=later).enqueue(1, 1)
    run_worker()
    assert DBTaskResult.objects.get(pk=result.id).status == "READY"
    assert sample_tasks.calls["adds"] == 0


@pytest.mark.django_db(transaction=True)
def test_failing_task_is_retried_then_shown_as_failed():
    sample_tasks.always_fails.enqueue(reason="quota")
    run_worker()
    rows = list(DBTaskResult.objects.order_by("enqueued_at"))
    assert sample_tasks.calls["always_fails"] == 3
    assert [r.status for r in rows] == ["FAILED", "FAILED", "FAILED"]
    labels = [describe_result(r).label for r in rows]
    assert labels[0] == "Failed (attempt 1); retry scheduled"
    assert labels[-1] == "Failed after 3 attempts; gave up"
    assert "the gateway said no: quota" in describe_result(rows[-1]).error


@pytest.mark.django_db(transaction=True)
def test_transient_failure_succeeds_on_retry():
    sample_tasks.fails_once.enqueue()
    run_worker()
    statuses = list(DBTaskResult.objects.order_by("enqueued_at").values_list("status", flat=True))
    assert statuses == ["FAILED", "SUCCESSFUL"]


@pytest.mark.django_db(transaction=True)
def test_retry_waits_for_its_backoff():
    sample_tasks.slow_retry.enqueue()
    run_worker()
    retry = DBTaskResult.objects.get(status="READY")
    wait = retry.run_after - timezone.now()
    assert timedelta(minutes=59) < wait <= timedelta(hours=1)
    assert describe_result(retry).label == "Waiting to retry (attempt 2)"


@pytest.mark.django_db(transaction=True)
def test_jobs_page_shows_failures_to_the_admin(client_as):
    sample_tasks.always_fails.enqueue(reason="quota")
    run_worker()
    page = client_as("admin").get("/jobs/", {"status": "FAILED"}).content.decode()
    assert "gave up" in page and "always fails" in page


@pytest.mark.django_db(transaction=True)
def test_jobs_page_is_closed_to_the_front_desk(client_as):
    assert client_as("front_desk").get("/jobs/").status_code == 403
