"""A local SMS/voice provider for tests and benchmarks: a real HTTP server on loopback.

It speaks the shape :mod:`medoffice.messaging.gateways.http` expects: ``POST /messages`` or
``/calls`` with a form (To, From, Body), a bearer token and an ``Idempotency-Key``; it answers
``{"id", "status"}``. It counts every request and every *delivery* (a key seen for the first
time); a key seen again gets the first answer back and is not delivered twice. Numbers in
``landlines`` get the "not a mobile number" refusal (code 21614); ``fail_next`` answers that
many requests with 503 first; ``invalid`` numbers get a 400.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

TOKEN = "test-provider-token"


class ProviderState:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = 0
        self.deliveries: list[dict] = []
        self.by_key: dict[str, dict] = {}
        self.key_requests: Counter = Counter()
        self.landlines: set[str] = set()
        self.invalid: set[str] = set()
        self.fail_next = 0
        self.delay = 0.0
        self.ids = itertools.count(1)

    def delivered_to(self, number: str) -> list[dict]:
        return [d for d in self.deliveries if d["To"] == number]


def _handler(state: ProviderState):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out at once, as real servers do

        def log_message(self, *args):
            pass

        def _answer(self, status: int, payload: dict) -> None:
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self):  # noqa: N802 (the http.server name)
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            key = self.headers.get("Idempotency-Key", "")
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._answer(401, {"code": 20003, "message": "Authenticate"})
                return
            if state.delay:
                threading.Event().wait(state.delay)
            with state.lock:
                state.requests += 1
                state.key_requests[key] += 1
                if state.fail_next > 0:
                    state.fail_next -= 1
                    answer = (503, {"code": 503, "message": "Service unavailable"})
                elif key and key in state.by_key:
                    answer = (201, state.by_key[key])
                elif form.get("To") in state.landlines and self.path.endswith("/messages"):
                    answer = (
                        400,
                        {"code": 21614, "message": "'To' number is not a valid mobile number"},
                    )
                elif form.get("To") in state.invalid:
                    answer = (400, {"code": 21211, "message": "Invalid 'To' phone number"})
                else:
                    kind = "CA" if self.path.endswith("/calls") else "SM"
                    payload = {"id": f"{kind}{next(state.ids):08d}", "status": "queued"}
                    state.by_key[key] = payload
                    state.deliveries.append({**form, "key": key, "path": self.path, **payload})
                    answer = (201, payload)
            self._answer(*answer)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that gave up waiting (the timeout test) is not an error here


class ProviderServer:
    def __init__(self):
        self.state = ProviderState()
        self.httpd = _QuietServer(("127.0.0.1", 0), _handler(self.state))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self) -> ProviderServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_forever_on(port: int) -> None:
    """Run a provider in this process until killed (benchmarks); prints its counts on SIGTERM."""
    import signal
    import sys

    server = ProviderServer()
    server.httpd.server_close()
    server.httpd = _QuietServer(("127.0.0.1", port), _handler(server.state))
    server.httpd.daemon_threads = True

    def report(*_):
        state = server.state
        print(
            json.dumps(
                {
                    "requests": state.requests,
                    "deliveries": len(state.deliveries),
                    "keys_sent_more_than_once": sum(
                        1 for c in state.key_requests.values() if c > 1
                    ),
                    "distinct_keys": len(state.by_key),
                }
            ),
            flush=True,
        )
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    server.httpd.serve_forever()
