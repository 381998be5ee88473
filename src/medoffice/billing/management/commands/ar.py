"""medoffice ar: the aging report (aging), days in A/R and the collection and first-pass rates
of a month (metrics), and closing a month (close-month)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from medoffice.billing import ar
from medoffice.billing.errors import DomainError
from medoffice.billing.management.common import action_parsers, parse_day
from medoffice.billing.services import ledger
from medoffice.core import csvsafe

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str, option: str) -> dt.date:
    match = MONTH.match(text.strip())
    if match and 1 <= int(match[2]) <= 12:
        return dt.date(int(match[1]), int(match[2]), 1)
    raise CommandError(f"{option}: {text!r} is not a month (YYYY-MM)")


def table(header: list[str], rows: list[list[str]], *, left: int = 1) -> list[str]:
    """Aligned columns: the first ``left`` columns to the left, the rest (amounts) right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            str(c).ljust(w) if i < left else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return [line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)]


class Command(BaseCommand):
    help = (
        "Accounts receivable. 'aging' shows open balances by age (by payer or by patient); "
        "'metrics' shows days in A/R, the net collection rate and the first-pass resolution "
        "rate of a month; 'close-month' closes a month (and every month before it)."
    )

    def add_arguments(self, parser):
        add_action = action_parsers(self, parser)
        aging = add_action(
            "aging", help="Open balances by the age of the visit (0-30 ... over 120 days)."
        )
        aging.add_argument("--by", choices=["payer", "patient"], default="payer")
        aging.add_argument("--as-of", help="The day to report at (YYYY-MM-DD; default today).")
        aging.add_argument("--csv", action="store_true", help="Write CSV instead of a table.")
        metrics = add_action("metrics", help="Days in A/R, NCR and FPRR of a month.")
        metrics.add_argument("--month", help="YYYY-MM (default: the last full month).")
        close = add_action(
            "close-month",
            help="Close a month that has ended, and every month before it: nothing can be "
            "posted on their days again (later corrections post to the open month).",
        )
        close.add_argument("month", metavar="YYYY-MM")
        close.add_argument("--note", default="", help="Why, or what was checked.")

    def handle(self, *args, action, **options):
        if action == "aging":
            return self.aging(options)
        if action == "metrics":
            return self.metrics(options)
        if action == "close-month":
            return self.close(options)
        raise CommandError(f"unknown action {action!r}")  # pragma: no cover

    def aging(self, options) -> None:
        as_of = parse_day(options["as_of"], "--as-of") if options["as_of"] else timezone.localdate()
        report = ar.aging_buckets(as_of, by=options["by"])
        rows = ar.aging_table(report)
        if options["csv"]:
            csvsafe.writer(self.stdout, lineterminator="\n").writerows(rows)
            return
        self.stdout.write(f"A/R aging at {as_of} by {report.by}")
        aged = rows[
            : len(rows) - len(report.credits)
        ]  # the credits follow, in a table of their own
        first = 1 if report.by == ar.BY_PAYER else 2
        for line in table(aged[0], aged[1:], left=first):
            self.stdout.write(line)
        if report.credits:
            self.stdout.write("")
            self.stdout.write(
                f"Credits (owed to patients, not in the aging): ${report.credit_total}"
            )
            credit_rows = [[c.label, c.mrn, c.amount] for c in report.credits]
            for line in table(["Patient", "MRN", "Credit"], credit_rows, left=2):
                self.stdout.write(line)

    def metrics(self, options) -> None:
        if options["month"]:
            month = parse_month(options["month"], "--month")
        else:
            month = ledger.month_start(ledger.month_start(timezone.localdate()) - dt.timedelta(1))
        figures = ar.metrics_for(month, ar.month_end(month), f"{month:%B %Y}")
        self.stdout.write(f"{figures.label} ({figures.start} to {figures.end})")
        rows = []
        for ratio, parts in (
            (figures.days_in_ar, "A/R {n} ÷ daily charges {d} (90 days)"),
            (figures.net_collection_rate, "payments {n} ÷ (charges − contractual) {d}"),
            (figures.first_pass_resolution_rate, "{n} of {d} claims"),
        ):
            rows.append(
                [ratio.name, str(ratio), parts.format(n=ratio.numerator, d=ratio.denominator)]
            )
        for line in table(["Metric", "Value", "From"], rows, left=1):
            self.stdout.write(line)

    def close(self, options) -> None:
        month = parse_month(options["month"], "MONTH")
        totals = ar.month_totals(month)
        try:
            closed = ledger.close_month(month=month, actor=None, note=options["note"])
        except DomainError as exc:
            raise CommandError(f"MONTH: {exc.message}") from exc
        if totals.unmatched_payments:
            self.stderr.write(
                f"Warning: {totals.unmatched_payments} claim payment(s) of {month:%B %Y} are "
                "not matched to a claim; posting them now puts them in the open month."
            )
        self.stdout.write(
            f"{closed.month:%B %Y} closed (and every month before it). "
            f"Charges ${totals.charges}, payments ${-totals.payments}, adjustments "
            f"${-totals.adjustments}, ending A/R ${totals.ending}."
        )
