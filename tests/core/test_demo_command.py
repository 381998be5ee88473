"""`medoffice demo` for real: a subprocess on a temporary data folder and a free port.

It must migrate, seed, print the logins, serve pages and static files with a
worker beside it, and stop both the server and the worker on SIGTERM or Ctrl+C.
"""

from __future__ import annotations

import http.cookiejar
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip("medoffice.demo.seed", reason="the demo seed generator has not landed yet")

START_SECONDS = 180  # migrate and seed a small practice on a slow CI machine
STOP_SECONDS = 40


class Demo:
    """A running ``medoffice demo`` process whose output is read line by line."""

    def __init__(self, data_dir: Path, *extra: str):
        console = Path(sys.executable).with_name("medoffice")
        command = [str(console)] if console.exists() else [sys.executable, "-m", "medoffice.cli"]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        env.update(MEDOFFICE_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [*command, "demo", "--port", "0", *extra],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self._seen = 0
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float) -> re.Match:
        """The first line after the previous match that matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while self._seen < len(self.lines):
                line = self.lines[self._seen]
                self._seen += 1
                if found := re.search(pattern, line):
                    return found
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                self._queue.put(None)  # later calls also see the end of output
                break
            self.lines.append(line)
        raise AssertionError(f"demo never printed {pattern!r}; output:\n" + "\n".join(self.lines))

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def get(opener, url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=30) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")


def wait_until_up(opener, url: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            status, _ = get(opener, url)
            if status == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers signal 0; it has exited all the same.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


def stop_and_check(demo: Demo, signum: int, worker_pid: int) -> None:
    demo.proc.send_signal(signum)
    try:
        code = demo.proc.wait(timeout=STOP_SECONDS)
    finally:
        demo.kill()
    demo.wait_for("medoffice demo stopped", timeout=5)
    assert code == 0, "\n".join(demo.lines)
    deadline = time.monotonic() + 10
    while not process_gone(worker_pid):
        assert time.monotonic() < deadline, f"worker {worker_pid} still running after the demo"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("demo-data")


def sign_in_and_open_home(base: str, username: str, password: str) -> str:
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    status, page = get(opener, f"{base}/accounts/login/")
    assert status == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    status, page = get(
        opener,
        f"{base}/accounts/login/",
        {"csrfmiddlewaretoken": token, "username": username, "password": password, "next": "/"},
    )
    assert status == 200
    return page


def test_demo_seeds_serves_and_stops_with_its_worker_on_sigterm(data_dir):
    # given a fresh data folder, when the demo starts with a small practice
    demo = Demo(data_dir, "--providers", "1", "--patients", "5", "--years", "1")
    try:
        worker_pid = int(demo.wait_for(r"worker started \(process (\d+)\)", START_SECONDS)[1])
        base = demo.wait_for(r"open (http://127\.0\.0\.1:\d+)/", 30)[1]
        password = demo.wait_for(r"password: (\S+)\):", 5)[1]
        username = demo.wait_for(r"^  (\S+)\s+\S", 5)[1]
        opener = urllib.request.build_opener()

        # then the login page and the stylesheet are served
        wait_until_up(opener, f"{base}/accounts/login/")
        status, css = get(opener, f"{base}/static/medoffice/app.css")
        assert status == 200 and ".topbar" in css

        # and a printed login opens the home page
        home = sign_in_and_open_home(base, username, password)
        assert "Today" in home and "Sign out" in home

        # and SIGTERM stops the server and the worker
        stop_and_check(demo, signal.SIGTERM, worker_pid)
    finally:
        demo.kill()
    assert (data_dir / "medoffice.sqlite3").exists()


def test_demo_restarts_on_the_same_practice_and_stops_on_ctrl_c(data_dir):
    demo = Demo(data_dir)
    try:
        demo.wait_for("Using the practice already in the database", START_SECONDS)
        worker_pid = int(demo.wait_for(r"worker started \(process (\d+)\)", 30)[1])
        base = demo.wait_for(r"open (http://127\.0\.0\.1:\d+)/", 30)[1]
        demo.wait_for(r"password: (\S+)\):", 5)
        wait_until_up(urllib.request.build_opener(), f"{base}/accounts/login/")

        stop_and_check(demo, signal.SIGINT, worker_pid)
    finally:
        demo.kill()
