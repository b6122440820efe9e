"""A site's page in a real browser updates itself when a door reports: a forced door
posted to the access-control webhook shows as an open alert and as restricted-zone
activity, without a reload."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console
from physical_support import access_integration
from sites_support import build_place

shoot = screenshots("sites")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_the_site_page_updates_when_a_door_event_arrives(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    place = build_place(live_server.db)
    _id, key = access_integration(live_server.db, place.physical, place.hq)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, f"/sites/{place.hq}")
    expect(page.get_by_role("heading", name="HQ")).to_be_visible()
    expect(page.locator("#site-alerts")).to_contain_text("No open alerts at this site.")
    expect(page.locator("#restricted-activity")).to_contain_text("Nothing in restricted zones")
    page.evaluate("window.__sameDocument = true")

    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {"kind": "door_forced_open", "door": "door-7", "door_name": "Server room door",
             "identity": "Mallory Jones", "event_id": "evt-1", "time": now}  # fmt: skip
    answer = httpx.post(f"{live_server.url}/ingest/access-control/{key}", json=event, timeout=10)
    assert answer.status_code < 300, answer.text

    alerts = page.locator("#site-alerts table tbody tr")
    expect(alerts).to_have_count(1, timeout=5000)
    expect(alerts.first).to_contain_text("Server room")
    activity = page.locator("#restricted-activity table tbody tr")
    expect(activity).to_have_count(1)
    expect(activity.first).to_contain_text("door forced open")
    expect(activity.first).to_contain_text("Mallory Jones")
    door = page.locator(f'tr[data-device="{place.door}"]')
    expect(door.locator(".device-last-event time")).to_have_count(1)
    assert page.evaluate("window.__sameDocument") is True
    shoot(page, tmp_path, "site-live")

    # The overview says the site is active, with its open alert.
    page.goto(f"{live_server.url}/sites")
    hq = page.locator(f'tr[data-site="{place.hq}"]')
    expect(hq).to_contain_text("active")
    expect(page.locator("table.sites tbody tr").first).to_have_attribute("data-site", place.hq)
    assert problems == []
