"""medoffice era import FILE...: import payers' 835 remittances and post them to the books.

Each file is read whole and posted in one transaction; a file with a fault is
refused (its segment number, id and byte position printed) and nothing of it
is kept, while the other files named still import. A file imported before
posts nothing again. For each file prints the claims posted, the amounts, the
unmatched claim payments and whether each payment reconciles (claims paid less
provider adjustments = the payment). Exits 1 when any file was refused, 2 for
a usage error (no such file).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medoffice.billing.errors import DomainError
from medoffice.billing.management.common import Refused, action_parsers, readable_file
from medoffice.billing.services.remittances import import_835


class Command(BaseCommand):
    help = "Work with 835 remittances (ERA). 'import' posts payers' 835 files."

    def add_arguments(self, parser):
        imp = action_parsers(self, parser)(
            "import",
            help="Import and post 835 files: payments, adjustments, the patient's share, "
            "denials; unmatched claim payments go to the work queue. Exit 1 if a file is refused.",
            description="Import 835 files; each is posted whole or refused whole.",
        )
        imp.add_argument("files", metavar="FILE", nargs="+", type=readable_file, help="835 files.")

    def handle(self, *args, action, **options):
        if action != "import":
            raise CommandError(f"unknown action {action!r}")
        refused = Refused(self.stderr)
        for path in options["files"]:
            path: Path
            try:
                report = import_835(path.read_bytes(), actor=None, filename=path.name)
            except DomainError as exc:
                refused.add(f"{path.name}: {exc.message}", item=path.name)
                continue
            self.stdout.write(report.text())
        if refused:
            raise CommandError(
                f"{len(refused)} of {len(options['files'])} file(s) refused, nothing of them "
                f"posted: {', '.join(refused.items)}"
            )
