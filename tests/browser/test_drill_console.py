"""The facilitator console in a real browser during a tabletop drill: advancing fires
the next inject, an expectation turns green by itself when a responder acknowledges
(server-sent events, no reload), the notes pad keeps what was written, pause and resume,
and the end shows the score."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console
from drill_support import SCENARIO, acknowledge_all
from helpers import SYSTEM
from incident_support import actor_for
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from muster.domain.drills.runs import do_start_run
from muster.domain.drills.scenarios import do_apply_scenario
from muster.engine.modules.drills import Drills
from muster.engine.runner import Runner

shoot = screenshots("drill-console")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_facilitator_console_during_a_tabletop_run(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    db, admin = live_server.db, live_server.admin
    actor = actor_for(db, admin.id)
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        scenario, _ = do_apply_scenario(uow, actor, SCENARIO)
        run = do_start_run(uow, actor, scenario.id, team_id=team.id, mode="tabletop",
                           facilitator_id=admin.id, participants={"commander": admin.id})  # fmt: skip
        uow.commit()
        run_id = run.id
    engine = Runner(db, [Drills()])

    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, f"/drills/runs/{run_id}")
    expect(page.get_by_text("EXERCISE").first).to_be_visible()
    script = page.locator("#drill-script")
    expect(script.locator('tr[data-inject="page"]')).to_have_attribute("data-status", "pending")

    # Advancing fires the next inject: the alert goes in through intake.
    page.get_by_role("button", name="Advance: fire page").click()
    expect(script.locator('tr[data-inject="page"]')).to_have_attribute("data-status", "fired")
    expect(page.get_by_role("button", name="Advance: fire hint")).to_be_visible()

    # A responder acknowledges elsewhere; the engine sees it; the console turns green alone.
    page.evaluate("window.__sameDocument = true")
    acknowledge_all(db, actor, run_id)
    assert not engine.run_until_idle().errors
    ack = page.locator('#drill-expectations tr[data-expectation="ack"]')
    expect(ack).to_have_attribute("data-status", "met", timeout=8000)
    assert page.evaluate("window.__sameDocument") is True
    shoot(page, tmp_path, "running")

    # The notes pad keeps what was written; pause and resume.
    page.get_by_role("textbox", name="Notes").fill("Commander slow to take the call.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("textbox", name="Notes")).to_have_value(
        "Commander slow to take the call."
    )
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#drill-status")).to_have_text("paused")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#drill-status")).to_have_text("running")

    # Grading the manual expectation, then ending: the score shows.
    row = page.locator('#drill-expectations tr[data-expectation="talk"]')
    row.get_by_label("Grade").select_option("met")
    row.get_by_role("button", name="Grade").click()
    expect(page.locator('#drill-expectations tr[data-expectation="talk"]')).to_have_attribute(
        "data-status", "met"
    )
    page.get_by_role("button", name="End early").click()
    expect(page.locator("#drill-status")).to_have_text("ended")
    expect(page.locator("#drill-score")).to_have_text("66.7")  # ack and talk met, sev1 missed
    assert problems == []
