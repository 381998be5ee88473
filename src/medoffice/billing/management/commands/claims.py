"""medoffice claims export-837: the ready claims as one 837P file (they become submitted)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medoffice.billing.errors import DomainError
from medoffice.billing.services.batches import create_batch
from medoffice.patients.models import Payer


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since: {text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Work with claims. 'export-837' writes the ready claims as an 837P batch."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        export = sub.add_parser(
            "export-837",
            help="Write the ready claims (optionally one payer's, or visits since a date) as "
            "one 837P file; they are marked submitted and the batch is kept.",
            called_from_command_line=getattr(self, "_called_from_command_line", False),
        )
        export.add_argument("--payer", help="The payer's name or EDI payer id.")
        export.add_argument("--since", help="Only visits on or after this date (YYYY-MM-DD).")
        export.add_argument("--out", required=True, help="The file to write.")

    def handle(self, *args, action, **options):
        if action != "export-837":
            raise CommandError(f"unknown action {action!r}")
        payer = None
        if options["payer"]:
            text = options["payer"].strip()
            payer = (
                Payer.objects.filter(name__iexact=text).first()
                or Payer.objects.filter(payer_id__iexact=text).first()
            )
            if payer is None:
                raise CommandError(f"--payer: no payer is named {text!r} or has that payer id")
        since = _date(options["since"]) if options["since"] else None
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"--out: the folder {str(out.parent)!r} does not exist")
        if out.exists():
            raise CommandError(f"--out: {str(out)!r} exists; batches are never overwritten")
        try:
            batch = create_batch(actor=None, payer=payer, since=since)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        out.write_text(batch.text, encoding="ascii", newline="")
        self.stdout.write(
            f"{batch.claim_count} claims (${batch.total_charge}) in batch "
            f"{batch.interchange_control_number:09d} → {out}"
        )
