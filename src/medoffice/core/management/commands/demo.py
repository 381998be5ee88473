"""medoffice demo: a synthetic practice on this computer, served with a worker beside it.

One command from a fresh clone to a running office: create and migrate the
database (a SQLite file in the data folder unless DATABASE_URL says
otherwise), load a synthetic practice the first time, print where to go and
how to sign in, then serve the app with the production web server and run a
background worker as a child process until Ctrl+C or SIGTERM stops both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from medoffice.core.management.commands.serve import (
    build_server,
    options_from,
    run_until_stopped,
    warn_about_settings,
)

WORKER_STOP_SECONDS = 30  # a running task gets this long to finish
LOGINS_FILE = "demo_logins.json"


def _database_is_sqlite() -> bool:
    return "sqlite" in settings.DATABASES["default"]["ENGINE"]


def _sqlite_file() -> Path:
    return Path(settings.DATABASES["default"]["NAME"])


def _logins_path() -> Path:
    return Path(settings.DATA_DIR) / LOGINS_FILE


class Command(BaseCommand):
    help = (
        "Try medoffice: create the database, load a synthetic practice the first time, print "
        "the logins, then serve on http://127.0.0.1:8000 with a background worker beside it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Address (default 127.0.0.1).")
        parser.add_argument(
            "--port", type=int, default=8000, help="Port (default 8000; 0 picks a free one)."
        )
        parser.add_argument(
            "--threads", type=int, default=8, help="Requests served at once (default 8)."
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="Serve only; run no background worker."
        )
        parser.add_argument(
            "--reseed",
            action="store_true",
            help="Delete the demo database and start over with a new synthetic practice.",
        )
        size = "in a new practice (default: as 'medoffice seed')"
        parser.add_argument("--providers", type=int, help=f"Providers {size}.")
        parser.add_argument("--patients", type=int, help=f"Patients {size}.")
        parser.add_argument("--years", type=int, help=f"Years of history {size}.")
        parser.add_argument(
            "--seed", type=int, help="Random seed: the same seed makes the same practice."
        )

    def handle(self, *args, **opts):
        options = options_from(opts)
        verbosity = opts["verbosity"]

        if opts["reseed"]:
            self._delete_demo_database()
        self._say(f"Preparing the database ({self._database_label()}) ...")
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        if self._practice_exists():
            self._say("Using the practice already in the database (--reseed starts over).")
        else:
            self._seed(opts)
        # The server and the worker open their own connections.
        connections.close_all()

        warn_about_settings(self.stderr, options)
        server = build_server(options)
        worker = None if opts["no_worker"] else self._start_worker()
        stopping = threading.Event()
        if worker is not None:
            threading.Thread(
                target=self._watch_worker, args=(worker, stopping), daemon=True
            ).start()

        self._print_welcome(server.effective_port, options.host)

        def on_stop():
            stopping.set()
            self._say("Stopping ...")
            if worker is not None:
                self._stop_worker(worker)
            self._say("medoffice demo stopped.")

        run_until_stopped(server, on_stop=on_stop)

    # -- database -------------------------------------------------------------

    def _database_label(self) -> str:
        if _database_is_sqlite():
            return f"SQLite file {_sqlite_file()}"
        db = settings.DATABASES["default"]
        return f"PostgreSQL database {db.get('NAME')} on {db.get('HOST') or 'local socket'}"

    def _delete_demo_database(self) -> None:
        if not _database_is_sqlite():
            raise CommandError(
                "--reseed only deletes a SQLite demo database; with PostgreSQL, drop and "
                "create the database yourself"
            )
        connections.close_all()
        path = _sqlite_file()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        _logins_path().unlink(missing_ok=True)
        self._say(f"Deleted the demo database {path}.")

    def _practice_exists(self) -> bool:
        from medoffice.core.models import Practice

        return Practice.objects.exists()

    def _seed(self, opts) -> None:
        from medoffice.demo import seed as generator  # lazy: the generator is heavy

        size = {
            "providers": getattr(generator, "DEFAULT_PROVIDERS", 8),
            "patients": getattr(generator, "DEFAULT_PATIENTS", 3000),
            "years": getattr(generator, "DEFAULT_YEARS", 2),
            "seed": getattr(generator, "DEFAULT_SEED", 1),
        }
        size.update({k: opts[k] for k in size if opts.get(k) is not None})
        self._say(
            f"Creating a synthetic practice ({size['providers']} providers, "
            f"{size['patients']} patients, {size['years']} years of history, "
            f"seed {size['seed']}) ..."
        )
        try:
            summary = generator.seed_practice(**size, stdout=self.stdout)
        except getattr(generator, "SeedError", ()) as exc:
            raise CommandError(str(exc)) from None
        record = {
            "password": summary.password,
            "logins": [[username, role] for username, role in summary.logins],
        }
        path = _logins_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(record, fh, indent=2)

    def _print_welcome(self, port: int, host: str) -> None:
        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
        if ":" in shown_host:
            shown_host = f"[{shown_host}]"
        url = f"http://{shown_host}:{port}/"
        lines = ["", f"medoffice is running: open {url}", ""]
        try:
            record = json.loads(_logins_path().read_text())
        except (FileNotFoundError, ValueError):
            record = None
        if record and record.get("logins"):
            lines.append(f"Sign in as any of these (password: {record['password']}):")
            width = max(len(username) for username, _role in record["logins"])
            lines += [f"  {username.ljust(width)}  {role}" for username, role in record["logins"]]
        else:
            lines.append(
                "Sign in with an account made earlier ('medoffice createsuperuser' makes one), "
                "or run 'medoffice demo --reseed' for a fresh practice with demo logins."
            )
        lines += ["", "Press Ctrl+C to stop.", ""]
        self._say("\n".join(lines))

    # -- worker ---------------------------------------------------------------

    def _start_worker(self) -> subprocess.Popen:
        env = dict(os.environ)
        env["MEDOFFICE_DATA_DIR"] = str(settings.DATA_DIR)
        env["PYTHONUNBUFFERED"] = "1"
        kwargs = {}
        if os.name == "posix":
            # Own session: a Ctrl+C in the terminal reaches only the demo, which
            # then stops the worker once, letting a running task finish.
            kwargs["start_new_session"] = True
            if sys.platform.startswith("linux"):
                kwargs["preexec_fn"] = _die_with_parent()
        worker = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "medoffice.cli", "worker"], env=env, **kwargs
        )
        self._say(f"Background worker started (process {worker.pid}).")
        return worker

    def _watch_worker(self, worker: subprocess.Popen, stopping: threading.Event) -> None:
        code = worker.wait()
        if not stopping.is_set():
            self.stderr.write(
                f"The background worker stopped on its own (exit {code}); background jobs "
                "wait until the demo is restarted."
            )

    def _stop_worker(self, worker: subprocess.Popen) -> None:
        if worker.poll() is None:
            self._say("Stopping the background worker ...")
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=WORKER_STOP_SECONDS)
            except (subprocess.TimeoutExpired, KeyboardInterrupt):
                worker.kill()
                worker.wait()

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()


def _die_with_parent():
    """A pre-exec hook asking Linux to SIGTERM the worker if the demo process dies."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1

    def hook():
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)

    return hook
