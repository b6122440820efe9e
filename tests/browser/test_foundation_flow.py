"""The first steps of a new installation, in a real browser: sign in, create a team,
add its first member, create a service owned by it, and find both in the lists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, watch_console

shoot = screenshots("foundation")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_sign_in_create_team_and_service(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems = watch_console(page)
    base = live_server.url

    # Signing in: an unknown visitor is sent to the login page and back.
    page.goto(f"{base}/teams")
    expect(page).to_have_url(re.compile(r"/login\?next=/teams$"))
    page.get_by_label("Email").fill(live_server.admin.email)
    page.get_by_label("Password").fill(live_server.admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/teams")

    # An empty installation says what a team is and offers to create one.
    expect(page.get_by_role("heading", name="No teams yet")).to_be_visible()
    page.get_by_role("link", name="Create the first team").click()
    page.get_by_label("Name").fill("Payments")
    page.get_by_label("Description").fill("Card and wallet payments. Pager: #payments-oncall")
    page.get_by_role("button", name="Create team").click()
    expect(page).to_have_url(re.compile(r"/teams/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    team_url = page.url

    # The team's first member, chosen from the <select> of active people.
    page.get_by_label("Add a person").select_option(label="Admin (admin@example.com)")
    page.get_by_label("Role in team").select_option("manager")
    page.get_by_role("button", name="Add", exact=True).click()
    members = page.locator("#members table")
    expect(members).to_contain_text("admin@example.com")
    expect(members).to_contain_text("manager")

    # A service owned by the team, from the team page's own link.
    page.locator('a[href^="/services/new"]', has_text="Create one").click()
    expect(page.get_by_label("Owning team")).to_have_value(team_url.rsplit("/", 1)[1])
    page.get_by_label("Name").fill("Checkout API")
    page.get_by_label("Description").fill("Takes the money; runs in eu-west.")
    page.get_by_role("button", name="Create service").click()
    expect(page).to_have_url(re.compile(r"/services/[0-9a-f-]{36}$"))
    expect(page.get_by_role("link", name="Payments")).to_have_attribute(
        "href", team_url.removeprefix(base)
    )
    expect(page.locator("table.events")).to_contain_text("service.created")

    # Both are in their lists.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Services").click()
    row = page.locator("tbody tr", has_text="Checkout API")
    expect(row).to_contain_text("Payments")
    shoot(page, tmp_path, "services")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Teams").click()
    expect(page.locator("tbody tr", has_text="Payments")).to_contain_text("1")
    shoot(page, tmp_path, "teams")

    page.goto(team_url)
    shoot(page, tmp_path, "team-light")

    # The same pages at night: the dark theme follows the system setting.
    dark = browser.new_context(
        viewport={"width": 1280, "height": 800},
        color_scheme="dark",
        storage_state=context.storage_state(),
    )
    night = dark.new_page()
    problems += watch_console(night)
    night.goto(team_url)
    expect(night.get_by_role("heading", name="Payments", level=1)).to_be_visible()
    background = night.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(15, 17, 21)", background
    shoot(night, tmp_path, "team-dark")
    night.goto(f"{base}/services")
    shoot(night, tmp_path, "services-dark")
    dark.close()

    # Destructive buttons ask first (muster.js); dismissing the question changes nothing.
    page.goto(f"{base}/services")
    page.get_by_role("link", name="Checkout API").click()
    service_url = page.url
    questions: list[str] = []
    page.once("dialog", lambda d: (questions.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Archive").click()
    expect(page).to_have_url(service_url)
    expect(page.locator("h1 .tag-archived")).to_have_count(0)
    page.once("dialog", lambda d: (questions.append(d.message), d.accept()))
    page.get_by_role("button", name="Archive").click()
    expect(page.locator("h1 .tag-archived")).to_have_text("archived")
    assert questions == ["Archive the service Checkout API?"] * 2
    context.close()

    assert problems == [], problems
