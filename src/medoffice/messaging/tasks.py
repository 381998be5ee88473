"""Messaging's background work, run by ``medoffice worker``.

- ``messaging_clock``: every ``MEDOFFICE_MESSAGING_CLOCK`` seconds, plan reminders (and
  cancel the stale ones), offer freed times to the waitlist, then start senders when
  messages are due. It books its own next round *first*, so a worker killed in the
  middle of a round does not stop the clock.
- ``send_due_messages_task``: claim and send due messages until none are left (any number
  may run at once: claims never overlap).

``ensure_messaging_clock()`` starts the clock when none is waiting; the messaging pages,
the services that queue messages and ``medoffice messaging start`` call it.
"""

from __future__ import annotations

import datetime as dt
import math

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medoffice.core.tasks import retrying_task
from medoffice.messaging import conf
from medoffice.messaging.services.offers import offer_freed_slots
from medoffice.messaging.services.reminders import plan_reminders
from medoffice.messaging.services.sending import BATCH, due_count, send_due_messages

SEND_BUDGET_SECONDS = 50


@retrying_task(max_attempts=3, backoff_seconds=30)
def send_due_messages_task(batch: int = BATCH) -> dict:
    """Send what is due; when the time budget runs out with more due, hand on to a new task."""
    report = send_due_messages(batch=batch, budget_seconds=SEND_BUDGET_SECONDS)
    if due_count():
        send_due_messages_task.enqueue(batch=batch)
    return report.as_dict()


@retrying_task(max_attempts=1)
def messaging_clock() -> dict:
    """One round: book the next round, plan reminders, start senders for what is due."""
    _book_next_round(exclude_running=True)
    report = plan_reminders()
    offers = offer_freed_slots()
    started = start_senders()
    return {
        "queued": report.queued,
        "cancelled": report.cancelled,
        "no_channel": report.no_channel,
        "offers_made": offers,
        "senders_started": started,
    }


def _waiting(task) -> DBTaskResult.objects:
    return DBTaskResult.objects.filter(task_path=task.module_path, status="READY")


def _book_next_round(*, exclude_running: bool) -> bool:
    if _waiting(messaging_clock).exists():
        return False
    interval = conf.number("MESSAGING_CLOCK") or 60
    messaging_clock.using(run_after=timezone.now() + dt.timedelta(seconds=interval)).enqueue()
    return True


def ensure_messaging_clock() -> bool:
    """Start the clock if no round is waiting; True when one was booked."""
    if _waiting(messaging_clock).exists():
        return False
    messaging_clock.enqueue()
    return True


def start_senders(*, now=None) -> int:
    """Start enough send tasks for what is due (up to ``MEDOFFICE_MESSAGE_SENDERS`` at once)."""
    due = due_count(now)
    if not due:
        return 0
    wanted = min(int(conf.number("MESSAGE_SENDERS")) or 1, math.ceil(due / BATCH))
    waiting = _waiting(send_due_messages_task).filter(run_after__lte=timezone.now()).count()
    for _ in range(max(0, wanted - waiting)):
        send_due_messages_task.enqueue()
    return max(0, wanted - waiting)
