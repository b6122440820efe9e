"""The public status page in a real browser, as an anonymous visitor: the components
and their status, an open incident with its public update, nothing restricted; light
and dark, no console errors (the page runs no script, so CSP has nothing to block)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import SHOTS, LiveServer, watch_console
from incident_support import actor_for, declare
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from status_support import post_public, publish


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_an_anonymous_visitor_sees_a_public_incident_and_its_update(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    db = live_server.db
    admin = actor_for(db, live_server.admin.id)
    with db.unit_of_work() as uow:
        team = do_create_team(uow, admin, TeamCreate(name="Payments"))
        checkout = do_create_service(
            uow, admin, ServiceCreate(name="checkout-api", team_id=team.id)
        )
        search = do_create_service(uow, admin, ServiceCreate(name="search", team_id=team.id))
        uow.commit()
        checkout_id, search_id = checkout.id, search.id
    publish(db, admin, (checkout_id, True, "Checkout"), (search_id, True, "Search"))
    shown = declare(db, admin, title="pg primary failover loop", severity=2,
                    customer_facing=True, service_ids=[checkout_id])  # fmt: skip
    post_public(db, admin, shown, "Some payments fail; we are on it.", "identified")
    hidden = declare(db, admin, title="Token leak", severity=1, restricted=True,
                     customer_facing=True, service_ids=[search_id])  # fmt: skip
    post_public(db, admin, hidden, "RESTRICTED words never shown", "investigating")

    context = browser.new_context(viewport={"width": 1000, "height": 900})  # no sign-in
    page = context.new_page()
    problems = watch_console(page)
    page.goto(f"{live_server.url}/status")
    expect(page).to_have_url(f"{live_server.url}/status")  # not sent to /login
    expect(page.get_by_role("heading", name="Service status", level=1)).to_be_visible()
    expect(page.locator("#overall")).to_have_text("Partial outage")
    components = page.locator("ul.components li")
    expect(components).to_have_count(2)
    expect(components.filter(has_text="Checkout")).to_contain_text("Partial outage")
    expect(components.filter(has_text="Search")).to_contain_text("Operational")
    incident = page.locator(f"#incident-{shown}")
    expect(incident.get_by_role("heading")).to_have_text("Partial outage: Checkout")
    expect(incident).to_contain_text("Some payments fail; we are on it.")
    expect(incident).to_contain_text("Identified")
    body = page.locator("body")
    expect(body).not_to_contain_text("RESTRICTED words")
    expect(body).not_to_contain_text("pg primary failover loop")
    expect(page.get_by_role("link", name="Sign out")).to_have_count(0)
    page.screenshot(path=str(tmp_path / "light.png"), full_page=True)
    shutil.copy(tmp_path / "light.png", SHOTS / "muster-status-light.png")

    dark = browser.new_context(viewport={"width": 420, "height": 900}, color_scheme="dark")
    night = dark.new_page()
    problems += watch_console(night)
    night.goto(f"{live_server.url}/status")
    expect(night.locator(f"#incident-{shown}")).to_contain_text("Some payments fail")
    night.screenshot(path=str(tmp_path / "dark.png"), full_page=True)
    shutil.copy(tmp_path / "dark.png", SHOTS / "muster-status-dark-narrow.png")
    dark.close()
    context.close()
    assert problems == [], problems
