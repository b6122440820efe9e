"""Playbooks in a real browser: write one in the YAML editor (a mistake shown with its
line first), save a second version, dry-run it on an incident, run it, and see its tasks
appear on the incident page (the run's page following along live); light and dark.

The served app runs no engine (tests/browser/conftest.py), so the test takes the engine's
passes itself between steps, as a `muster engine` worker would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console
from incident_support import actor_for, declare
from muster.config import Settings
from muster.engine.modules import default_modules
from muster.engine.runner import Runner

shoot = screenshots("playbook")


PLAYBOOK = """\
key: checkout-outage
name: Checkout outage
description: First moves when checkout fails.
triggers:
  - event: manual
steps:
  - name: checklist
    kind: tasks
    tasks:
      - {title: "Check the payment provider for {{ incident.title }}", due_minutes: 15, phase: investigating}
      - {title: Open a bridge call, phase: investigating}
  - name: sev1_only
    kind: tasks
    when: {field: severity, op: eq, value: 1}
    tasks:
      - {title: Page the CTO}
"""


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_edit_dry_run_and_run_a_playbook(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    base, db, admin = live_server.url, live_server.db, live_server.admin
    declare(db, actor_for(db, admin.id), title="Checkout is down", severity=2)
    settings = Settings(database_url="sqlite://", var_dir=tmp_path / "engine-var",
                        secret_key="browser-test-secret")  # fmt: skip
    engine = Runner(db, default_modules(settings))

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, "/playbooks", admin)
    expect(page.get_by_role("link", name="Playbooks")).to_have_attribute("aria-current", "page")

    # A mistake first: the editor says where, and nothing is saved.
    page.get_by_role("link", name="New playbook").click()
    editor = page.get_by_label("Playbook (YAML)")
    editor.fill(PLAYBOOK.replace("kind: tasks\n    when", "kind: chores\n    when"))
    page.get_by_role("button", name="Save playbook").click()
    summary = page.locator("#pb-summary")
    expect(summary).to_contain_text("Nothing was saved")
    expect(summary).to_contain_text("steps.1")
    expect(summary).to_contain_text("1 problem in this playbook")
    expect(summary).to_contain_text("(line 12)")
    expect(editor).to_have_attribute("aria-invalid", "true")
    expect(editor).to_have_value(re.compile("kind: chores"))
    shoot(page, tmp_path, "editor-error-light")
    assert problems == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]  # the refused save, and nothing else
    problems.clear()

    editor.fill(PLAYBOOK)
    page.get_by_role("button", name="Save playbook").click()
    expect(page).to_have_url(re.compile(r"/playbooks/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout outage")

    # Edit it: version 2.
    editor = page.get_by_label("Playbook (YAML)")
    editor.fill(PLAYBOOK.replace("Open a bridge call", "Open a bridge call and invite support"))
    page.get_by_role("button", name="Save version 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("v2")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    shoot(page, tmp_path, "playbook-light")

    # Dry-run it on the incident: what would happen, and nothing does.
    page.locator("#try-incident").select_option(label="INC-1 · Checkout is down")
    page.get_by_role("button", name="Dry-run").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Check the payment provider for Checkout is down")
    expect(preview).to_contain_text("Open a bridge call and invite support")
    expect(preview.locator("tr.would-run")).to_have_count(1)
    expect(preview.locator("tr.would-skip")).to_have_count(1)  # SEV2, not SEV1
    shoot(page, tmp_path, "dry-run-light")
    page.get_by_role("link", name="INC-1").first.click()
    expect(page.locator("table.tasks")).to_contain_text("No tasks yet.")
    expect(page.locator("#playbooks")).to_contain_text("No playbook has run on this incident.")

    # Run it from the incident page.
    page.locator("#playbook-playbook_id").select_option(label="Checkout outage")
    page.locator("#playbooks").get_by_role("button", name="Run", exact=True).click()
    expect(page).to_have_url(re.compile(r"/playbook-runs/[0-9a-f-]{36}$"))
    expect(page.locator("#steps")).to_contain_text("checklist")
    page.evaluate("window.__sameDocument = true")
    engine.run_until_idle()  # the engine takes the steps; the page hears of it (live)
    expect(page.get_by_role("heading", level=1)).to_contain_text("succeeded")
    expect(page.locator("#steps tr.step-done")).to_have_count(1)
    expect(page.locator("#steps tr.step-skipped")).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True  # swapped in place, no reload
    shoot(page, tmp_path, "run-light")

    # The incident page: the run, and its tasks.
    page.get_by_role("link", name="INC-1").first.click()
    tasks = page.locator("table.tasks")
    expect(tasks).to_contain_text("Check the payment provider for Checkout is down")
    expect(tasks).to_contain_text("Open a bridge call and invite support")
    expect(tasks).not_to_contain_text("Page the CTO")
    expect(page.locator("#playbooks")).to_contain_text("Checkout outage")
    expect(page.locator("#playbooks")).to_contain_text("succeeded")
    expect(page.locator("#timeline")).to_contain_text("Checkout outage")
    shoot(page, tmp_path, "incident-light")
    incident_url = page.url

    dark = browser.new_context(
        viewport={"width": 1400, "height": 900},
        color_scheme="dark",
        storage_state=context.storage_state(),
    )
    night = dark.new_page()
    problems += watch_console(night)
    night.goto(incident_url)
    expect(night.locator("#playbooks")).to_contain_text("succeeded")
    shoot(night, tmp_path, "incident-dark")
    night.goto(f"{base}/playbooks")
    expect(night.locator("table.playbooks")).to_contain_text("Checkout outage")
    shoot(night, tmp_path, "list-dark")
    dark.close()
    context.close()
    assert problems == [], problems
