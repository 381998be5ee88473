"""medoffice serve: the production web server (waitress), one per app machine.

waitress is pure Python and runs the same on Linux, macOS and Windows; static
files are served by WhiteNoise from inside the app, so no separate web server
is needed. Several ``medoffice serve`` processes behind a load balancer scale
out, as long as they share the database and the secrets (see README).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_THREADS = 8
# Headers a trusted load balancer sets; waitress rewrites the request from them
# so the access log records the user's address, not the balancer's.
PROXY_HEADERS = {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-forwarded-port"}


@dataclass(frozen=True)
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    threads: int = DEFAULT_THREADS
    trusted_proxy: str | None = None


def add_serve_arguments(parser) -> None:
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"Address to listen on (default {DEFAULT_HOST}; 0.0.0.0 for every interface).",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"Port (default {DEFAULT_PORT}; 0 picks a free one and prints it).",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=DEFAULT_THREADS,
        help=f"Requests served at once (default {DEFAULT_THREADS}).",
    )
    parser.add_argument(
        "--trusted-proxy",
        default=None,
        metavar="ADDRESS",
        help="Address of the load balancer in front; its X-Forwarded-* headers are believed.",
    )


def options_from(opts: dict) -> ServeOptions:
    port, threads = opts["port"], opts["threads"]
    if not 0 <= port <= 65535:
        raise CommandError(f"--port must be between 1 and 65535 (0: any free port), not {port}")
    if threads < 1:
        raise CommandError(f"--threads must be at least 1, not {threads}")
    return ServeOptions(opts["host"], port, threads, opts.get("trusted_proxy"))


def build_server(options: ServeOptions):
    """A waitress server for the medoffice WSGI app, already listening."""
    from waitress import create_server

    if settings.STATIC_ROOT:
        # WhiteNoise warns when STATIC_ROOT is missing; only an optional
        # collectstatic fills it (files are found in the package otherwise).
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    from medoffice.wsgi import application

    kwargs = {
        "host": options.host,
        "port": options.port,
        "threads": options.threads,
        "ident": "medoffice",
        "clear_untrusted_proxy_headers": True,
    }
    if options.trusted_proxy:
        kwargs["trusted_proxy"] = options.trusted_proxy
        kwargs["trusted_proxy_headers"] = PROXY_HEADERS
    try:
        return create_server(application, **kwargs)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CommandError(f"cannot listen on {options.host}:{options.port}: {reason}") from None


def server_urls(server) -> list[str]:
    """The http:// address(es) the server ended up listening on."""
    urls = []
    for listener in getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)
    ]:
        host, port = listener[0], listener[1]
        if ":" in str(host):
            host = f"[{host}]"
        urls.append(f"http://{host}:{port}")
    return urls


def run_until_stopped(server, *, on_stop: Callable[[], None] | None = None) -> None:
    """Serve until Ctrl+C or SIGTERM, then close the server and call ``on_stop``."""

    def stop(signum, frame):
        raise KeyboardInterrupt

    # Both handled explicitly: a shell starting us in the background would
    # otherwise leave SIGINT ignored.
    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()  # returns once KeyboardInterrupt closed the server
    except KeyboardInterrupt:
        server.close()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if on_stop is not None:
            on_stop()


def warn_about_settings(stderr, options: ServeOptions) -> None:
    if settings.DEBUG:
        stderr.write("warning: MEDOFFICE_DEBUG is on; never run a real office like that.")
    hosts = set(settings.ALLOWED_HOSTS)
    if options.host not in {"127.0.0.1", "localhost", "::1"} and "*" not in hosts:
        stderr.write(
            f"note: only requests for {', '.join(sorted(hosts))} are answered; set "
            "MEDOFFICE_ALLOWED_HOSTS to the names people type to reach this server."
        )


class Command(BaseCommand):
    help = (
        "Serve medoffice with the waitress production web server (static files included). "
        "Run one per app machine behind a load balancer; run 'medoffice migrate' first."
    )

    def add_arguments(self, parser):
        add_serve_arguments(parser)

    def handle(self, *args, **opts):
        options = options_from(opts)
        warn_about_settings(self.stderr, options)
        server = build_server(options)
        for url in server_urls(server):
            self.stdout.write(f"medoffice is serving on {url}/ (Ctrl+C to stop)")
        sys.stdout.flush()
        run_until_stopped(server)
        self.stdout.write("medoffice stopped.")
