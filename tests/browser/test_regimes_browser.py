"""The regime catalogue in a real browser: an admin adds a regime with two reports (one
chained on the other) through the repeated-row form, sees a refused row marked, and the
saved regime shows its deadlines in words; no console errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console

shoot = screenshots("regimes")


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_an_admin_adds_a_chained_regime(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, "/settings/regimes")
    expect(page.get_by_role("link", name="GDPR art. 33 (personal-data breach)")).to_be_visible()
    expect(page.get_by_text("4 US federal business days from material at, America/New_York")).to_be_visible()  # fmt: skip
    shoot(page, tmp_path, "list")

    page.get_by_role("link", name="Add a regime").click()
    page.get_by_label("Key", exact=False).first.fill("state-law")
    page.locator("#f-name").fill("State breach law")
    page.locator("#f-reports\\.0\\.key").fill("residents")
    page.locator("#f-reports\\.0\\.name").fill("Notice to residents")
    page.locator("#f-reports\\.0\\.starts_on").fill("discovered_at")
    page.locator("#f-reports\\.0\\.amount").fill("30")
    page.locator("#f-reports\\.0\\.unit").select_option("calendar_days")
    page.locator("#f-reports\\.0\\.time_zone").fill("America/Chicago")
    page.locator("#f-reports\\.1\\.key").fill("attorney-general")
    page.locator("#f-reports\\.1\\.name").fill("Attorney General")
    page.locator("#f-reports\\.1\\.starts_on").fill("submitted:resident")  # a typo
    page.locator("#f-reports\\.1\\.amount").fill("10")
    page.locator("#f-reports\\.1\\.unit").select_option("business_days")
    page.locator("#f-reports\\.1\\.holiday_calendar").select_option("us-federal")
    page.get_by_role("button", name="Add regime").click()
    expect(page.get_by_role("alert")).to_contain_text("Report 2: clock starts on")
    expect(page.locator("#f-reports\\.1\\.starts_on")).to_have_attribute("aria-invalid", "true")
    shoot(page, tmp_path, "refused")
    assert problems == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]  # the refused save, and nothing else
    problems.clear()

    page.locator("#f-reports\\.1\\.starts_on").fill("submitted:residents")
    page.get_by_role("button", name="Add regime").click()
    expect(page.get_by_role("heading", name="State breach law")).to_be_visible()
    expect(page.get_by_text("30 calendar days from discovered at, America/Chicago")).to_be_visible()  # fmt: skip
    expect(page.get_by_text("10 US federal business days from submission of residents")).to_be_visible()  # fmt: skip
    shoot(page, tmp_path, "show")
    assert problems == []
    context.close()
