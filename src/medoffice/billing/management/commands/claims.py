"""medoffice claims: the ready claims as one 837P file (export-837), a batch delivered to the
clearinghouse (send), and 999/277CA acknowledgements applied to the claims (import-ack)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medoffice.billing.errors import DomainError
from medoffice.billing.management.common import (
    Refused,
    action_parsers,
    cannot_read,
    file_problem,
    parse_day,
)
from medoffice.billing.models import ClaimBatch
from medoffice.billing.services.acknowledgements import MAX_BYTES, import_acknowledgement
from medoffice.billing.services.batches import create_batch
from medoffice.billing.services.submission import send_batch, unsent_batches
from medoffice.patients.models import Payer


class Command(BaseCommand):
    help = (
        "Work with claims. 'export-837' writes the ready claims as an 837P batch; 'send' "
        "delivers batches to the clearinghouse; 'import-ack' reads 999 and 277CA files."
    )

    def add_arguments(self, parser):
        add_action = action_parsers(self, parser)
        export = add_action(
            "export-837",
            help="Write the ready claims (optionally one payer's, or visits since a date) as "
            "one 837P file; they are marked submitted and the batch is kept.",
        )
        export.add_argument("--payer", help="The payer's name or EDI payer id.")
        export.add_argument("--since", help="Only visits on or after this date (YYYY-MM-DD).")
        export.add_argument("--out", required=True, help="The file to write.")
        send = add_action(
            "send",
            help="Deliver a batch's 837P file now (to the outbox folder or over SFTP, as the "
            "submission settings say). Exit 1 when it was not delivered.",
        )
        which = send.add_mutually_exclusive_group(required=True)
        which.add_argument("batch", nargs="?", type=int, metavar="BATCH_ID", help="The batch id.")
        which.add_argument(
            "--all-unsent", action="store_true", help="Every batch not delivered yet."
        )
        ack = add_action(
            "import-ack",
            help="Import 999 and 277CA acknowledgement files: claims become accepted or rejected. "
            "Each file is all or nothing; a file imported before changes nothing.",
        )
        ack.add_argument("files", nargs="+", metavar="FILE", help="999 or 277CA files.")

    def handle(self, *args, action, **options):
        if action == "send":
            return self.send(options)
        if action == "import-ack":
            return self.import_ack(options["files"])
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
        since = parse_day(options["since"], "--since") if options["since"] else None
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

    def send(self, options) -> None:
        if options["all_unsent"]:
            batches = list(unsent_batches())
            if not batches:
                self.stdout.write("Every batch has been delivered.")
                return
        else:
            batch = ClaimBatch.objects.filter(pk=options["batch"]).first()
            if batch is None:
                raise CommandError(f"BATCH_ID: there is no batch {options['batch']}")
            batches = [batch]
        failed = Refused(self.stderr)
        for batch in batches:
            try:
                batch = send_batch(batch=batch)
            except DomainError as exc:
                failed.add(f"{batch.file_name}: not delivered: {exc.message}")
                continue
            self.stdout.write(f"{batch.file_name}: sent to {batch.destination}")
        failed.fail(f"{len(failed)} batches not delivered")

    def import_ack(self, files: list[str]) -> None:
        refused = Refused(self.stderr)
        for name in files:
            path = Path(name)
            problem = file_problem(name, MAX_BYTES)
            if problem:
                refused.add(problem)
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                refused.add(cannot_read(name, exc))
                continue
            try:
                result = import_acknowledgement(data, actor=None, filename=path.name)
            except DomainError as exc:
                refused.add(f"{name}: refused: {exc.message}")
                continue
            self.stdout.write(f"{name}: {result.summary()}")
            if not result.duplicate:
                for line in result.report_lines:
                    self.stdout.write(f"  {line}")
        refused.fail(f"{len(refused)} of {len(files)} files refused")
