"""An incident report (the dict of :mod:`muster.domain.incidents.report`) as one HTML
document: on screen with the site's report stylesheet linked and a toolbar, or
self-contained (the stylesheet inlined, no links out) for the download and the PDF."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from muster.web.ui.incident_sections import markdown_html
from muster.web.ui.render import STATIC, env

TEMPLATE = "incident_report.html"
STYLESHEET = STATIC / "incident_report.css"
# Custody event data shown by the report, in this order (the rest is in the JSON).
CUSTODY_FIELDS = (
    "sha256", "from", "to", "reason", "method", "ok", "sha256_expected", "sha256_found", "by_label",
)  # fmt: skip


def utc(value: str | None) -> str:
    """An RFC 3339 UTC time as ``2026-11-23 23:24:15 UTC`` (to the second)."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def custody_text(entry: dict[str, Any]) -> str:
    """One custody event in words: its kind and the details it carries."""
    kind = str(entry.get("type", "")).removeprefix("evidence.")
    data: dict[str, Any] = entry.get("data") or {}
    details = [f"{k}: {data[k]}" for k in CUSTODY_FIELDS if data.get(k) not in (None, "")]
    return kind + (" (" + "; ".join(details) + ")" if details else "")


def report_html(
    report: dict[str, Any], *, standalone: bool, links: dict[str, str | None] | None = None
) -> str:
    """The report as a whole HTML document. ``standalone``: the stylesheet inlined and
    no toolbar (a file that opens anywhere, and what the PDF prints); otherwise
    ``links`` (``html``, ``json``, ``pdf`` or None) make the on-screen toolbar."""
    return env.get_template(TEMPLATE).render(
        r=report,
        css=STYLESHEET.read_text(encoding="utf-8") if standalone else None,
        links=None if standalone else links,
        utc=utc,
        markdown=markdown_html,
        custody_text=custody_text,
    )
