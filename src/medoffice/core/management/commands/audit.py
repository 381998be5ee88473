"""medoffice audit verify: check the PHI access log's hash chain."""

from django.core.management.base import BaseCommand, CommandError

from medoffice.core.audit import verify_chain


class Command(BaseCommand):
    help = "Work with the PHI access log. 'verify' checks that no row was changed or removed."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        sub.add_parser(
            "verify",
            help="Recompute the hash chain; exit 1 naming the first broken row.",
            called_from_command_line=getattr(self, "_called_from_command_line", False),
        )

    def handle(self, *args, action, **options):
        if action == "verify":
            report = verify_chain()
            if not report.ok:
                raise CommandError(str(report))
            self.stdout.write(str(report))
