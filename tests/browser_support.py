"""What the browser fixtures hand to tests."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, expect

from helpers import Person
from muster.db.uow import Database


@dataclass(frozen=True)
class LiveServer:
    """A running Muster: its base URL, its database and its first admin."""

    url: str
    db: Database
    admin: Person


SHOTS = Path("/tmp")  # screenshots are copied here for a human to look at


def watch_console(page: Page) -> list[str]:
    """Collect console errors (CSP violations included) and uncaught page errors."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def screenshots(prefix: str) -> Callable[[Page, Path, str], None]:
    """A function saving a full-page screenshot under ``tmp_path`` and as
    /tmp/muster-<prefix>-<name>.png."""

    def shoot(page: Page, tmp_path: Path, name: str) -> None:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        shutil.copy(path, SHOTS / f"muster-{prefix}-{name}.png")

    return shoot


def sign_in_as(page: Page, live_server: LiveServer, target: str, who: Person | None = None) -> None:
    """Open ``target``, sign in through the form as ``who`` (the admin by default), and
    land back on ``target``."""
    person = who or live_server.admin
    page.goto(f"{live_server.url}{target}")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server.url}{target}")
