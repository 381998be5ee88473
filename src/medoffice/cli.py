"""The ``medoffice`` command: our own sub-commands plus Django's, with one-line errors.

Every sub-command is a Django management command, so ``medoffice migrate``,
``medoffice createsuperuser`` and ``medoffice check`` work too. Whatever goes
wrong (a bad option, a malformed DATABASE_URL, an unreachable database) ends
in one line on stderr and a non-zero exit, never a traceback; set
``MEDOFFICE_DEBUG=1`` to see the traceback.
"""

from __future__ import annotations

import os
import re
import sys

EXIT_ERROR = 1
EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    print(f"medoffice: error: {message}", file=sys.stderr)
    return code


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else exc.__class__.__name__
    # Never echo a database password back to the terminal.
    return re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", first)


def _short_argparse_errors() -> None:
    """Make bad options print one line (``medoffice <cmd>: error: ...``) instead of usage text."""
    from django.core.management.base import CommandParser

    def error(self, message):
        if self.called_from_command_line:
            print(f"{self.prog}: error: {message} (see --help)", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        return CommandParser._medoffice_original_error(self, message)

    if not hasattr(CommandParser, "_medoffice_original_error"):
        CommandParser._medoffice_original_error = CommandParser.error
        CommandParser.error = error


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else ["medoffice", *argv])
    argv[0] = "medoffice"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medoffice.settings")
    debug = os.environ.get("MEDOFFICE_DEBUG", "").lower() in {"1", "true", "yes", "on"}
    try:
        import django
        from django.core.exceptions import ImproperlyConfigured
        from django.core.management import CommandError, ManagementUtility
        from django.db import Error as DatabaseError
        from django.db import OperationalError

        try:
            django.setup()
        except ImproperlyConfigured as exc:
            return _fail(_one_line(exc))
        except ValueError as exc:  # a malformed setting read from the environment
            return _fail(_one_line(exc))
        _short_argparse_errors()
        if len(argv) > 1 and not argv[1].startswith("-") and argv[1] != "help":
            from django.core.management import get_commands

            if argv[1] not in get_commands():
                return _fail(
                    f"unknown command {argv[1]!r} (run 'medoffice help' for the list)", EXIT_USAGE
                )
        if len(argv) > 1 and not argv[1].startswith("-") and argv[1] != "help":
            # Let a command's CommandError reach us (Django would print it as
            # "CommandError: ..."), so every failure reads "medoffice: error: ...".
            argv = [argv[0], argv[1], "--traceback", *argv[2:]]
        try:
            ManagementUtility(argv).execute()
        except CommandError as exc:
            return _fail(_one_line(exc))
        except OperationalError as exc:
            return _fail(f"cannot use the database ({_database_label()}): {_one_line(exc)}")
        except DatabaseError as exc:
            return _fail(f"database error ({_database_label()}): {_one_line(exc)}")
    except KeyboardInterrupt:
        return 130
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:
        if debug:
            raise
        return _fail(f"{exc.__class__.__name__}: {_one_line(exc)}")
    return 0


def _database_label() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if "sqlite" in db["ENGINE"]:
        return f"SQLite file {db['NAME']}"
    host = db.get("HOST") or "local socket"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"PostgreSQL {db.get('NAME')} on {host}{port}"


if __name__ == "__main__":
    sys.exit(main())
