"""Browser fixtures: a real uvicorn server over a fresh SQLite database, driven by
Debian's Chromium through Playwright.

Without /usr/bin/chromium the browser tests skip (saying why), unless
MUSTER_REQUIRE_BROWSER=1 (set by CI), which turns the missing browser into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from browser_support import LiveServer
from helpers import make_person
from muster.clock import SystemClock
from muster.config import Settings
from muster.db import migrate
from muster.db.engine import make_engine
from muster.db.uow import Database
from muster.web.app import create_app
from muster.web.context import AppContext
from server_support import serving

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The whole app under uvicorn on a free port of 127.0.0.1, with one admin."""
    db_url = f"sqlite:///{tmp_path / 'muster.db'}"
    migrate.upgrade(db_url)
    db = Database(make_engine(db_url), SystemClock())
    admin = make_person(db, "admin", email="admin@example.com")
    settings = Settings(
        database_url=db_url, var_dir=tmp_path / "var", secret_key="browser-test-secret"
    )
    app = create_app(AppContext(settings=settings, db=db, clock=db.clock))
    try:
        with serving(app) as url:
            yield LiveServer(url, db, admin)
    finally:
        db.dispose()


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("MUSTER_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and MUSTER_REQUIRE_BROWSER=1 requires the browser tests")
        print(f"browser tests skipped: {reason}")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
