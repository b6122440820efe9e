"""Evidence by drag-and-drop in a real browser: a file dropped onto the drop zone (a
real drop event carrying a DataTransfer with the File) is streamed to the API, and the
page then lists it as EV-1 with its SHA-256; a pasted file follows as EV-2."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from browser_support import LiveServer, screenshots, sign_in_as, watch_console

shoot = screenshots("evidence")
CONTENT = "suspicious login from 203.0.113.7\n" * 500

DROP = """([name, text]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], name, {type: "text/plain"}));
  const zone = document.getElementById("evidence-drop");
  for (const type of ["dragenter", "dragover", "drop"]) {
    zone.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
  }
}"""

PASTE = """([name, text]) => {
  const transfer = new DataTransfer();
  transfer.items.add(new File([text], name, {type: "text/plain"}));
  document.body.dispatchEvent(new ClipboardEvent("paste", {bubbles: true, cancelable: true, clipboardData: transfer}));
}"""


@pytest.mark.browser
@pytest.mark.xdist_group("browser")
def test_drop_a_file_to_add_evidence(
    browser: Browser, live_server: LiveServer, tmp_path: Path
) -> None:
    admin = live_server.admin
    r = httpx.post(f"{live_server.url}/api/v1/incidents", json={"title": "Account takeover"},
                   headers=admin.auth)  # fmt: skip
    incident = r.json()["id"]
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    problems = watch_console(page)
    sign_in_as(page, live_server, f"/incidents/{incident}/evidence")
    zone = page.locator("#evidence-drop")
    expect(zone).to_be_visible()  # shown by evidence.js; hidden without JavaScript

    page.evaluate(DROP, ["auth.log", CONTENT])
    expect(page).to_have_url(re.compile(r"/evidence\?done=added$"))
    digest = hashlib.sha256(CONTENT.encode()).hexdigest()
    row = page.locator("tr[data-evidence-id]").first
    expect(row).to_contain_text("EV-1")
    expect(row).to_contain_text("auth.log")
    expect(row.locator("code.sha256")).to_have_text(digest)
    expect(row.locator("code.sha256")).to_have_attribute("title", f"SHA-256 {digest}")
    shoot(page, tmp_path, "dropped")

    page.evaluate(PASTE, ["pasted.txt", "second"])
    expect(page.locator("tr[data-evidence-id]")).to_have_count(2)
    expect(page.locator("tr[data-evidence-id]").nth(1)).to_contain_text(
        hashlib.sha256(b"second").hexdigest()
    )
    page.locator("tr.evidence-more details summary").first.click()
    expect(page.locator("ol.custody-log").first).to_contain_text("collected")
    assert problems == []
