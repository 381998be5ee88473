"""Background work glue: tasks that retry with backoff, and how a job reads on the jobs page.

Django's Tasks API (the ``django-tasks`` backport) runs a task once; a failed
run is stored as FAILED. ``retrying_task`` wraps a function so that a failed
attempt schedules the next one (``run_after`` = now + backoff, doubling) before
it records its own failure; after the last attempt the job stays FAILED and the
jobs page says it gave up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task
from django_tasks.base import TaskContext

ATTEMPT_KWARG = "_attempt"
# task path -> attempts allowed, filled in as retrying tasks are defined.
RETRY_POLICIES: dict[str, int] = {}


def retrying_task(*, max_attempts: int = 3, backoff_seconds: float = 30, **task_options):
    """Decorator: a Task that is tried up to ``max_attempts`` times, waiting longer each time."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def decorate(func):
        def run(context: TaskContext, *args, **kwargs):
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt < max_attempts:
                    delay = backoff_seconds * (2 ** (attempt - 1))
                    context.task_result.task.using(
                        run_after=timezone.now() + timedelta(seconds=delay)
                    ).enqueue(*args, **kwargs, **{ATTEMPT_KWARG: attempt + 1})
                raise

        # Take the function's name (the worker finds tasks by module path) but not
        # its signature: the Tasks API checks that ``context`` comes first.
        for attr in ("__module__", "__name__", "__qualname__", "__doc__"):
            setattr(run, attr, getattr(func, attr))
        defined = task(takes_context=True, **task_options)(run)
        RETRY_POLICIES[defined.module_path] = max_attempts
        return defined

    return decorate


@dataclass(frozen=True)
class JobView:
    """One background job as the jobs page shows it."""

    id: str
    name: str
    status: str
    label: str
    attempt: int
    max_attempts: int
    enqueued_at: object
    run_after: object
    finished_at: object
    error: str


def describe_result(result) -> JobView:
    kwargs = (result.args_kwargs or {}).get("kwargs", {})
    attempt = int(kwargs.get(ATTEMPT_KWARG, 1))
    max_attempts = _attempts_allowed(result.task_path)
    name = result.task_path.rsplit(".", 1)[-1].replace("_", " ")
    error = ""
    if result.status == "FAILED":
        last_line = (result.traceback or "").strip().splitlines()[-1:] or [""]
        error = last_line[0][:300]
        will_retry = attempt < max_attempts
        label = (
            f"Failed (attempt {attempt}); retry scheduled"
            if will_retry
            else (f"Failed after {attempt} attempt{'s' if attempt != 1 else ''}; gave up")
        )
    elif result.status == "READY":
        label = "Waiting" if attempt == 1 else f"Waiting to retry (attempt {attempt})"
    elif result.status == "RUNNING":
        label = "Running"
    elif result.status == "SUCCESSFUL":
        label = "Done"
    else:
        label = result.status.title()
    return JobView(
        id=str(result.id),
        name=name,
        status=result.status,
        label=label,
        attempt=attempt,
        max_attempts=max_attempts,
        enqueued_at=result.enqueued_at,
        run_after=result.run_after,
        finished_at=result.finished_at,
        error=error,
    )


def _attempts_allowed(task_path: str) -> int:
    if task_path not in RETRY_POLICIES:
        try:  # importing the task's module registers its policy
            import_string(task_path)
        except ImportError:
            return 1
    return RETRY_POLICIES.get(task_path, 1)


@retrying_task(max_attempts=2, backoff_seconds=60)
def verify_access_log() -> dict:
    """Recompute the PHI access log's chain in the background (the auditor's "verify now")."""
    from medoffice.core.audit import verify_chain

    report = verify_chain()
    return {
        "ok": report.ok,
        "checked": report.checked,
        "first_bad_position": report.first_bad_position,
        "summary": str(report),
    }
