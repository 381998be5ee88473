"""medoffice edi validate FILE: is this X12 file sound, and if not, where exactly is it wrong?

For any file the office sends or receives (837P, 835, 999, 277CA, ...): our
envelope and transaction checks, then pyx12's implementation-guide validator
for 837P, 835, 999 and 277CA. Prints one line per finding (segment number, id,
element, what is wrong) and a summary; exits 1 when there is an error, 0 when
the file is clean (warnings allowed), 2 for a usage error (no such file).
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from medoffice.billing.management.common import action_parsers, readable_file
from medoffice.edi.validate import validate_x12


class Command(BaseCommand):
    help = "Work with X12 files. 'validate' checks one and lists every fault by segment."

    def add_arguments(self, parser):
        validate = action_parsers(self, parser)(
            "validate",
            help="Check an X12 file (837P, 835, 999, 277CA, ...): envelopes, our readers and, "
            "for 837P/835/999/277CA, pyx12's implementation-guide validator. Exit 1 on errors.",
            description="Check an X12 file and print each fault with its segment number and id.",
        )
        validate.add_argument("file", metavar="FILE", type=readable_file, help="The X12 file.")
        validate.add_argument(
            "--details",
            action="store_true",
            help="Also list the segments our readers read but do not keep (nothing wrong).",
        )
        validate.add_argument(
            "--no-guide",
            action="store_true",
            help="Skip pyx12's implementation-guide check (ours still run).",
        )

    def handle(self, *args, action, **options):
        if action != "validate":
            raise CommandError(f"unknown action {action!r}")
        path: Path = options["file"]
        report = validate_x12(path.read_bytes(), guide=not options["no_guide"])
        for note in report.notes:
            self.stdout.write(f"note: {note}")
        for finding in report.findings:
            if finding.level != "detail" or options["details"]:
                self.stdout.write(str(finding))
        kinds = ", ".join(dict.fromkeys(report.kinds)) or "not readable as X12"
        counts = f", {report.counts}" if report.counts else ""
        tally = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        if report.details and not options["details"]:
            tally += f", {len(report.details)} segment(s) not kept (--details lists them)"
        if report.errors:
            raise CommandError(f"{path.name}: {kinds}{counts}: {tally}")
        self.stdout.write(f"{path.name}: {kinds}{counts}: valid ({tally})")
