"""Alerts in a real browser: the list updates itself when an alert arrives (server-sent
events, no reload), keeps what was ticked, and bulk-acknowledges; light and dark."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from alert_support import make_integration, make_service, send
from browser_support import LiveServer, screenshots, sign_in_as, watch_console

shoot = screenshots("alerts")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_alerts_arrive_live_and_are_acknowledged(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    admin = live_server.admin
    api = httpx.Client(base_url=base, timeout=10)
    checkout = make_service(api, admin, "checkout-api", team="Payments")
    search = make_service(api, admin, "search", team="Payments")
    key = make_integration(api, admin, checkout, name="Prometheus EU")["key"]
    other_key = make_integration(api, admin, search)["key"]

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, "/alerts")
    expect(page.get_by_role("heading", name="No open alerts — all quiet")).to_be_visible()
    shoot(page, tmp_path, "empty")

    # An alert sent by a monitoring system appears without reloading the page.
    page.evaluate("window.__sameDocument = true")
    send(api, key, "Card payments failing: 31% of authorisations declined", severity="critical",
         dedup_key="pay-declines", custom_details={"region": "eu-west-1", "rate": 0.31},
         links=[{"href": "https://grafana.example/d/payments", "text": "Payments dashboard"}])  # fmt: skip
    rows = page.locator("table.alerts tbody tr")
    expect(rows).to_have_count(1, timeout=5000)
    expect(rows.first).to_contain_text("Card payments failing")
    expect(rows.first).to_contain_text("critical")
    assert page.evaluate("window.__sameDocument") is True

    # What was ticked stays ticked when more alerts arrive.
    rows.first.get_by_role("checkbox").check()
    send(api, other_key, "Search latency p99 above 2 s", severity="warning")
    send(api, key, "Disk 91% full on db-2", severity="error", source="db-2.eu-west-1")
    send(api, other_key, "Index rebuild slow", severity="info")
    expect(rows).to_have_count(4, timeout=5000)
    card = page.locator("tr", has_text="Card payments failing")
    expect(card.get_by_role("checkbox")).to_be_checked()
    assert page.evaluate("window.__sameDocument") is True
    shoot(page, tmp_path, "light")

    # Bulk acknowledge: back on the same list, with the outcome said.
    page.get_by_role("button", name="Acknowledge selected").click()
    expect(page.get_by_role("status")).to_have_text("1 alert acknowledged.")
    expect(card).to_contain_text("acknowledged")
    expect(page.locator("tr", has_text="Disk 91% full")).to_contain_text("triggered")

    # Filters are a plain GET form: the view has its own URL.
    page.get_by_label("critical").check()
    page.get_by_label("error").check()
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(
        re.compile(
            r"/alerts\?service_id=&status=triggered&status=acknowledged&severity=critical&severity=error&q=$"
        )
    )
    expect(rows).to_have_count(2)

    # The alert's own page, also live: acknowledged elsewhere, it changes in place.
    page.get_by_role("link", name=re.compile("Disk 91% full")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Disk 91% full on db-2")
    page.evaluate("window.__sameDocument = true")
    alert_id = page.url.rsplit("/", 1)[1]
    api.post(f"/api/v1/alerts/{alert_id}/acknowledge", headers=admin.auth).raise_for_status()
    expect(page.locator("h1 .status")).to_have_text("acknowledged", timeout=5000)
    expect(page.locator("table.events")).to_contain_text("alert.acknowledged")
    assert page.evaluate("window.__sameDocument") is True
    page.goto(f"{base}/alerts")
    page.get_by_role("link", name=re.compile("Card payments failing")).click()
    expect(page.locator("pre.json").last).to_contain_text('"region": "eu-west-1"')
    shoot(page, tmp_path, "detail-light")
    detail_url = page.url
    page.get_by_role("link", name="1 alert").click()
    expect(page.get_by_role("heading", name="Alerts in this group")).to_be_visible()
    expect(page.locator("table.events")).to_contain_text("alert_group.acknowledged")
    shoot(page, tmp_path, "group-light")

    # The service page: integrations with paste-ready URLs, maintenance, alert handling.
    page.goto(f"{base}/services/{checkout}")
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()
    shoot(page, tmp_path, "service-light")

    # Night: the same pages in the dark theme.
    dark = browser.new_context(
        viewport={"width": 1280, "height": 800},
        color_scheme="dark",
        storage_state=context.storage_state(),
    )
    night = dark.new_page()
    problems += watch_console(night)
    night.goto(f"{base}/alerts?status=triggered&status=acknowledged&status=resolved")
    expect(night.locator("table.alerts tbody tr")).to_have_count(4)
    shoot(night, tmp_path, "dark")
    night.goto(detail_url)
    shoot(night, tmp_path, "detail-dark")
    night.goto(f"{base}/services/{checkout}")
    shoot(night, tmp_path, "service-dark")
    dark.close()
    context.close()
    api.close()
    assert problems == [], problems


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_mapping_editor_and_routing_rules(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    base = live_server.url
    admin = live_server.admin
    api = httpx.Client(base_url=base, timeout=10)
    checkout = make_service(api, admin, "checkout-api", team="Payments")
    make_service(api, admin, "storage", team="Payments")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, f"/services/{checkout}")

    # A generic JSON integration: the type's own fields appear as the type is chosen.
    page.get_by_label("Add an integration").select_option("heartbeat")
    expect(page.get_by_label("Ping every")).to_be_visible()
    page.get_by_label("Add an integration").select_option("generic")
    expect(page.get_by_label("Ping every")).to_be_hidden()
    page.get_by_role("button", name="Add integration").click()
    expect(page).to_have_url(re.compile(r"/integrations/[0-9a-f-]{36}#mapping$"))
    page.locator("#map-summary").fill("$.incident.title")
    page.locator("#map-severity").fill("$.incident.level")
    page.locator("#map-severity_map").fill("sev-a = critical")
    sample = {"incident": {"title": "Checkout 5xx above 2%", "level": "sev-a", "id": "inc-7"}}
    page.get_by_label("Sample payload").fill(json.dumps(sample, indent=2))
    page.get_by_role("button", name="Test").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Checkout 5xx above 2%")
    expect(result).to_contain_text("critical")
    shoot(page, tmp_path, "mapping-light")

    # A routing rule with two conditions, no JavaScript needed for the rows.
    page.goto(f"{base}/routing-rules/new")
    page.get_by_label("Name", exact=True).fill("Disks go to storage")
    page.get_by_label("Condition 1 field").fill("summary")
    page.get_by_label("Condition 1 operator").select_option("contains")
    page.get_by_label("Condition 1 value").fill("disk")
    page.get_by_label("Condition 2 field").fill("severity")
    page.get_by_label("Condition 2 operator").select_option("severity_at_least")
    page.get_by_label("Condition 2 value").fill("warning")
    page.get_by_label("Route to service").select_option(label="storage")
    page.get_by_label("Add labels").fill("team = storage")
    shoot(page, tmp_path, "rule-form-light")
    page.get_by_role("button", name="Create rule").click()
    expect(page).to_have_url(f"{base}/routing-rules")
    expect(page.locator("table.rules")).to_contain_text("Disks go to storage")
    shoot(page, tmp_path, "rules-light")
    context.close()
    api.close()
    assert problems == [], problems
