"""medoffice worker: run background tasks (reminders, claim batches, ERA posting, reports)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run background tasks from the database queue until stopped. Start as many workers "
        "as you like, on as many machines as share the database."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait between polls when the queue is empty (default 1).",
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help="Run every task that is due now, then exit (for cron and tests).",
        )
        parser.add_argument(
            "--max-tasks", type=int, default=None, help="Exit after running this many tasks."
        )
        parser.add_argument(
            "--queue", default="*", help="Queue names, comma separated (default all)."
        )

    def handle(self, *args, interval, batch, max_tasks, queue, **options):
        if interval < 0:
            from django.core.management.base import CommandError

            raise CommandError("--interval must be zero or more seconds")
        if not batch:
            # Periodic work keeps itself going once started; a worker starts it, so a fresh
            # install sends reminders without anyone opening a page first. The plan review
            # runs once a day: a second worker (or a restart) the same day books nothing.
            from medoffice.billing.tasks import book_payment_plans_review
            from medoffice.messaging.tasks import ensure_messaging_clock

            ensure_messaging_clock()
            book_payment_plans_review()
        extra = ["--batch"] if batch else []
        if max_tasks is not None:
            extra += ["--max-tasks", str(max_tasks)]
        call_command(
            "db_worker",
            "--interval",
            str(interval),
            "--queue-name",
            queue,
            "--no-startup-delay",
            *extra,
            verbosity=options["verbosity"],
        )
