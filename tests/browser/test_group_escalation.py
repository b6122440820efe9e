"""An alert group being escalated, in a real browser: the Escalation card shows who was
paged at level 1; pressing "Escalate now" pages level 2 and the card says so."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import SHOTS, LiveServer, watch_console
from escalation_support import build_world, make_policy, trigger, user
from muster.engine.modules.escalation_reactions import EscalationReactions
from muster.engine.modules.escalation_timers import EscalationTimers
from muster.engine.runner import Runner


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_escalate_now_from_the_group_page(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    db = live_server.db
    world = build_world(db)
    make_policy(db, world, [[user(world.alice)], [user(world.bob)], [user(world.carol)]],
                delay=30)  # fmt: skip
    group = trigger(db, world)
    result = Runner(db, [EscalationReactions(), EscalationTimers()]).run_until_idle()
    assert not result.errors, result.errors

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    url = f"{live_server.url}/alert-groups/{group}"
    page.goto(url)
    page.get_by_label("Email").fill(live_server.admin.email)
    page.get_by_label("Password").fill(live_server.admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(url)

    card = page.locator("#escalation")
    expect(card.get_by_role("heading", name="Escalation")).to_be_visible()
    expect(card.locator("[data-escalation-level]")).to_have_text("level 1 of 3")
    expect(card.locator("[data-escalation-next]")).to_contain_text("Level 2 is paged at")
    expect(card.locator("table.escalation-steps tbody tr")).to_have_count(1)
    expect(card.locator("table.escalation-steps")).to_contain_text("Alice")

    card.get_by_role("button", name="Escalate now").click()
    expect(page).to_have_url(f"{url}#escalation")
    expect(card.locator("[data-escalation-level]")).to_have_text("level 2 of 3")
    expect(card.locator("table.escalation-steps tbody tr")).to_have_count(2)
    expect(card.locator("table.escalation-steps tbody tr").nth(1)).to_contain_text("Bob")
    expect(card.locator("table.escalation-steps tbody tr").nth(1)).to_contain_text(
        "escalated by hand"
    )
    expect(card.locator("[data-escalation-next]")).to_contain_text("Level 3 is paged at")

    page.screenshot(path=str(tmp_path / "escalation.png"), full_page=True)
    shutil.copy(tmp_path / "escalation.png", SHOTS / "muster-group-escalation.png")
    assert problems == []
