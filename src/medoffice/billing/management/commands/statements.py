"""medoffice statements run [--date D]: make the statement run now (in this process)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from medoffice.billing.errors import DomainError
from medoffice.billing.management.common import action_parsers, parse_day
from medoffice.billing.services.statements import batch_path, run_statements, unfinished_run


class Command(BaseCommand):
    help = (
        "Patient statements. 'run' makes a statement (first, second or final notice) for every "
        "patient owing at least the policy's minimum who had none in the policy's interval, "
        "flags unpaid final notices for collections, and writes the print batch PDF."
    )

    def add_arguments(self, parser):
        run = action_parsers(self, parser)(
            "run", help="Make the statement run (or finish one that stopped half-way)."
        )
        run.add_argument("--date", help="The statement date (YYYY-MM-DD); default today.")

    def handle(self, *args, action, **options):
        if action != "run":
            raise CommandError(f"unknown action {action!r}")
        day = parse_day(options["date"], "--date") if options["date"] else None
        pending = unfinished_run()
        if pending is not None and day is not None and pending.run_on != day:
            raise CommandError(
                f"the run of {pending.run_on} has not finished; run without --date (or with "
                f"--date {pending.run_on}) to finish it first"
            )

        def progress(done: int, total: int) -> None:
            self.stderr.write(f"\r{done}/{total} patients", ending="")

        try:
            report = run_statements(day, None, progress, run=pending)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if report.statements or report.flagged:
            self.stderr.write("")
        self.stdout.write(
            f"Statements of {report.run.run_on}: {report.statements} statement"
            f"{'s' if report.statements != 1 else ''}, ${report.total_due} due, "
            f"{report.flagged} flagged for collections"
        )
        if report.statements:
            self.stdout.write(f"Print batch: {batch_path(report.run)}")
