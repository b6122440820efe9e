"""A post-incident review in a real browser: the engine makes the review when a SEV2 is
resolved; the admin edits it with the live preview (rendered by the server as typed),
saves, gives feedback, moves it through in review → approved → published, and sees it
published (read-only, rendered) and in the published list; no console errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console
from incident_support import actor_for, declare
from muster.domain.incidents.transitions import do_transition
from muster.engine.modules.review_creation import ReviewCreation
from muster.engine.runner import Runner

shoot = screenshots("review")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_a_review_is_edited_with_live_preview_and_published(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    db, admin = live_server.db, live_server.admin
    actor = actor_for(db, admin.id)
    incident = declare(db, actor, severity=2, title="Checkout is down", commander_id=admin.id)
    with db.unit_of_work() as uow:
        do_transition(uow, actor, incident, "resolved")
        uow.commit()
    Runner(db, [ReviewCreation()]).run_until_idle()

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, f"/incidents/{incident}/review", admin)
    expect(page.locator("[data-review-status]")).to_have_text("Draft")
    expect(page.get_by_text("required", exact=True)).to_be_visible()
    expect(page.locator("#review-preview")).to_contain_text("Post-incident review: INC-")
    expect(page.get_by_role("button", name="Preview")).to_be_hidden()  # JS previews live

    editor = page.get_by_label("Markdown")
    editor.fill("# Lessons\n\nWe **learned** to page sooner.\n\n- add a heartbeat")
    preview = page.locator("#review-preview")
    expect(preview.locator("strong")).to_have_text("learned")
    expect(preview.locator("h1")).to_have_text("Lessons")
    expect(preview.locator("li")).to_have_text("add a heartbeat")
    shoot(page, tmp_path, "preview")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("version 2")).to_be_visible()
    expect(editor).to_have_value(re.compile("We \\*\\*learned\\*\\*"))

    page.get_by_role("radio", name="4").check()
    page.get_by_label("Comment").fill("Paging took too long")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.locator("#feedback")).to_contain_text("1 answer, average 4.0 / 5")

    for button, status in (
        ("Send for review", "In review"),
        ("Approve", "Approved"),
        ("Publish", "Published"),
    ):
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator("[data-review-status]")).to_have_text(status)
    expect(page.get_by_label("Markdown")).to_have_count(0)  # published: read, not edited
    expect(page.locator(".review-body strong")).to_have_text("learned")
    expect(page.get_by_text(f"{admin.email},")).to_be_visible()  # approved by
    shoot(page, tmp_path, "published")

    page.goto(f"{live_server.url}/reviews?status=published")
    expect(page.get_by_role("link", name=re.compile("^INC-"))).to_be_visible()
    expect(page.locator(".reviews-table")).to_contain_text("Published")
    assert problems == []
