"""What the billing commands share: their ACTION sub-commands, a date option, the files they
are given, and how they report what they could not do.

A file is judged the same way everywhere ("'x.835' is not a file", "cannot read 'x.835':
Permission denied", "'x.835' is larger than 200 MB"): a command that cannot start without its
files makes that a usage error (``readable_file`` as an argparse type: one line, exit 2);
a command that works file by file refuses that one and goes on (``Refused``: exit 1 at the end).
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from django.core.management.base import CommandError

MAX_BYTES = 200 * 1024 * 1024  # an 835 of 10,000 claims is a few megabytes


def action_parsers(command, parser):
    """``add(name, **kwargs)`` -> the parser of one ACTION of ``command`` (required); like the
    command's own parser, each reports a usage error in one line when run from the shell."""
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    from_shell = getattr(command, "_called_from_command_line", False)

    def add(name: str, **kwargs):
        return sub.add_parser(name, called_from_command_line=from_shell, **kwargs)

    return add


def parse_day(text: str, option: str) -> dt.date:
    """The date an option gives (YYYY-MM-DD), or an error naming the option."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: {text!r} is not a date (YYYY-MM-DD)") from None


def file_problem(name: str, max_bytes: int = MAX_BYTES) -> str | None:
    """What stops reading the file ``name`` whole, in one sentence naming it as given; None
    when nothing does."""
    path = Path(name)
    if not path.is_file():
        return f"{name!r} is not a file"
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        return cannot_read(name, exc)
    if size > max_bytes:
        return f"{name!r} is larger than {max_bytes // 2**20} MB"
    return None


def cannot_read(name: str, exc: OSError) -> str:
    return f"cannot read {name!r}: {exc.strerror or exc}"


def readable_file(text: str) -> Path:
    """An argparse type: the path of a file that can be read, else a usage error."""
    problem = file_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


class Refused:
    """What a command could not do, item by item: each line goes to stderr at once, the command
    goes on with the rest, and ends in one error (exit 1) when any was refused."""

    def __init__(self, stderr):
        self.stderr = stderr
        self.lines: list[str] = []
        self.items: list[str] = []

    def add(self, line: str, item: str = "") -> None:
        """Say ``line``; ``item`` (default: the line) is what the final error may list."""
        self.lines.append(line)
        self.items.append(item or line)
        self.stderr.write(line)

    def __len__(self) -> int:
        return len(self.lines)

    def fail(self, several: str) -> None:
        """End in an error when anything was refused: the one line, or ``several`` for more."""
        if self.lines:
            raise CommandError(self.lines[0] if len(self.lines) == 1 else several)
