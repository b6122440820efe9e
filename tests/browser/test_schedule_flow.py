"""An on-call schedule in a real browser: create it, give it a rotation, add an override,
and watch the timeline change; screenshots in light and dark for a person to look at."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console
from helpers import SYSTEM, make_person
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team

shoot = screenshots("schedule")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_schedule_with_rotation_and_override(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    db = live_server.db
    ids = {
        n: make_person(db, "responder", f"{n.lower()}@example.com").id
        for n in ("Alice", "Bob", "Carol")
    }
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Payments"))
        for user_id in ids.values():
            do_add_team_member(uow, SYSTEM, team.id, MemberAdd(user_id=user_id))
        uow.commit()
    context = browser.new_context(viewport={"width": 1320, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    base = live_server.url
    sign_in_as(page, live_server, "/schedules")
    expect(page).to_have_url(f"{base}/schedules")

    # The empty list explains schedules and offers to make one.
    expect(page.get_by_role("heading", name="No on-call schedules yet")).to_be_visible()
    page.get_by_role("link", name="Create the first schedule").click()
    page.get_by_label("Name", exact=True).fill("Payments primary")
    page.get_by_label("Owning team").select_option(label="Payments")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Create schedule").click()
    expect(page).to_have_url(re.compile(r"/schedules/[0-9a-f-]{36}$"))
    schedule_url = page.url
    expect(page.locator(".oncall-now-card")).to_contain_text("Nobody")
    expect(page.locator(".tl-row.final .gap")).to_have_count(1)  # two weeks of nobody

    # A daily rotation: Alice, then Bob.
    page.get_by_role("link", name="Add the first rotation").click()
    page.get_by_label("Layer name").fill("Daily primary")
    page.get_by_label("Turn 1", exact=True).select_option(label="Alice")
    page.get_by_label("Turn 2", exact=True).select_option(label="Bob")
    page.get_by_label("Handoff time").fill("00:00")
    page.get_by_label("Unit").select_option("days")
    page.get_by_role("button", name="Add layer").click()
    expect(page).to_have_url(f"{schedule_url}#layers")
    expect(page.locator(".oncall-now-card")).to_contain_text("On call now")
    final = page.locator(".tl-row.final")
    expect(page.locator(".gap-warning")).to_have_count(0)  # nobody missing from now on
    assert final.locator(".gap").count() <= 1  # earlier today, before the rotation began
    assert final.locator(".shift").count() >= 13
    expect(page.locator("#layers")).to_contain_text("Alice")
    expect(page.locator("#layers")).to_contain_text("Bob")
    page.get_by_role("link", name="1 week").click()
    shoot(page, tmp_path, "schedule-rotation")

    # An override: Carol covers from the next hour, for 12 hours (the form's defaults).
    page.get_by_label("Who covers").select_option(label="Carol (carol@example.com)")
    page.get_by_role("button", name="Add override").click()
    expect(page).to_have_url(re.compile(r"#overrides$"))
    expect(page.locator("#overrides table")).to_contain_text("Carol")
    page.get_by_role("link", name="1 week").click()
    override = page.locator(".tl-row.final .shift.override")
    expect(override).to_have_count(1)
    expect(override.locator("text")).to_contain_text("Carol")
    assert page.locator(".tl-row:not(.final) .override").count() == 0  # the layer row is unchanged
    expect(page.locator(".tl-legend")).to_contain_text("override")
    page.locator("#timeline").scroll_into_view_if_needed()
    shoot(page, tmp_path, "schedule-light")

    # Dark mode, same page.
    dark = browser.new_context(viewport={"width": 1320, "height": 900}, color_scheme="dark")
    dark_page = dark.new_page()
    dark_problems = watch_console(dark_page)
    sign_in_as(dark_page, live_server, page.url.removeprefix(base))
    expect(dark_page.locator(".tl-row.final .shift.override")).to_have_count(1)
    shoot(dark_page, tmp_path, "schedule-dark")

    # The home page says who is on call now.
    page.goto(f"{base}/")
    expect(page.locator("#on-call-now")).to_contain_text("Payments primary")
    assert problems == []
    assert dark_problems == []
    context.close()
    dark.close()
