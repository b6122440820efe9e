"""The incident metrics page in a real browser: signed in, from the nav, the charts drawn
with their numbers (light and dark), a filter applied by the form, the CSV link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console
from incident_support import actor_for, declare

shoot = screenshots("metrics")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_metrics_page_shows_charts(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    db = live_server.db
    admin = actor_for(db, live_server.admin.id)
    now = datetime.now(UTC)
    for minutes, severity in ((3, 1), (8, 2), (20, 2)):
        declare(db, admin, severity=severity,
                detected_at=(now - timedelta(minutes=minutes)).isoformat())  # fmt: skip
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1100, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        problems = watch_console(page)
        sign_in_as(page, live_server, "/")
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Metrics").click()
        expect(page).to_have_url(f"{live_server.url}/metrics/incidents")
        expect(page.get_by_role("heading", name="Summary: 3 incidents")).to_be_visible()
        week = page.get_by_role("img", name="Incidents per week")
        expect(week).to_be_visible()
        expect(week.locator("rect.chart-bar")).to_have_count(1)
        expect(
            page.get_by_role("img", name="Incidents by severity").locator("rect.chart-bar")
        ).to_have_count(2)
        declare_row = page.locator("table.metrics-summary tr", has_text="Time to declare")
        expect(declare_row).to_contain_text("8m 00s")  # the median, as text too
        shoot(page, tmp_path, scheme)
        page.locator("#m-severity").select_option("2")
        page.get_by_role("button", name="Show").click()
        expect(page).to_have_url(re.compile(r"/metrics/incidents\?.*severity=2"))
        expect(page.get_by_role("heading", name="Summary: 2 incidents")).to_be_visible()
        link = page.locator('a[href="/metrics/incidents/by-severity.csv?severity=2"]')
        expect(link).to_have_text("CSV")
        assert problems == []
        context.close()
