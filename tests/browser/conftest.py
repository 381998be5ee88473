"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

Every test here is skipped, with the reason, when /usr/bin/chromium or the
Playwright package is missing (``scripts/test`` installs chromium when it runs
as root). Screenshots land in ``test-artifacts/`` at the repository root.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path(os.environ.get("MEDOFFICE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def chromium(live_server):
    """A headless chromium for one test.

    Started per test on purpose: while Playwright's sync API runs, this thread
    has a running asyncio loop, and Django then refuses ORM calls (the
    database set-up and flush around every test included), so the browser
    must be gone before pytest-django touches the database again.
    """
    if not CHROMIUM.exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} "
            "(apt-get install chromium; scripts/test does this when run as root)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield browser
        finally:
            browser.close()
            # With Playwright's loop running, Django hands the test body database
            # connections of its own; close them, or PostgreSQL refuses to drop
            # the test database at the end ("being accessed by other users").
            connections.close_all()


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # The test body itself is plain synchronous code that creates users while
    # the browser is open (see ``chromium``), so let it use the ORM.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser tab sized like an office desktop, 1280 x 800."""
    context = chromium.new_context(
        viewport={"width": 1280, "height": 800}, base_url=live_server.url
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
