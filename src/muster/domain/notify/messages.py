"""The words of each message (pure): short and actionable — what, which service, how
severe, firing how long, a link to the alert group, one-click acknowledge and resolve.

One page may carry several alert groups (bundled): "7 alerts on checkout-api".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from typing import Any

from muster.clock import isoformat


@dataclass(frozen=True)
class GroupView:
    id: str
    service: str
    severity: str
    summary: str
    status: str
    alert_count: int
    first_seen: datetime


@dataclass(frozen=True)
class Links:
    group: dict[str, str]  # group id -> its page
    ack: str | None = None  # one link for every group of the message
    resolve: str | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str  # plain text (email, chat, push)
    html: str | None = None
    short: str = ""  # SMS
    voice: str = ""  # read out on a call
    data: dict[str, Any] = field(default_factory=dict)  # webhooks


REPLY_HINT = "Or reply to this email with “ack” or “resolve”."


def firing_for(since: datetime, now: datetime) -> str:
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if hours < 48 else f"{hours // 24} days"


def _headline(groups: Sequence[GroupView]) -> str:
    if len(groups) == 1:
        g = groups[0]
        return f"[{g.severity.upper()}] {g.service}: {g.summary}"
    services = sorted({g.service for g in groups})
    where = services[0] if len(services) == 1 else f"{len(services)} services"
    return f"{len(groups)} alerts on {where}"


def render_page(groups: Sequence[GroupView], links: Links, now: datetime) -> Rendered:
    """The page for ``groups`` (one, or several bundled), oldest first."""
    groups = sorted(groups, key=lambda g: g.first_seen)
    headline = _headline(groups)
    lines = [headline, ""]  # the email adds REPLY_HINT
    for g in groups:
        lines.append(
            f"- {g.severity.upper()} {g.service}: {g.summary} — firing {firing_for(g.first_seen, now)}"
            f" ({g.alert_count} alert{'s' if g.alert_count != 1 else ''}) {links.group[g.id]}"
        )
    everyone = "all of these" if len(groups) > 1 else "it"
    if links.ack:
        lines += ["", f"Acknowledge {everyone}: {links.ack}"]
    if links.resolve:
        lines.append(f"Resolve {everyone}: {links.resolve}")
    first = groups[0]
    if len(groups) == 1:
        short = f"Muster {first.severity.upper()} {first.service}: {first.summary[:80]} ({firing_for(first.first_seen, now)}) {links.group[first.id]}"
    else:
        short = f"Muster: {headline} {links.group[first.id]}"
    if links.ack:
        short += f" Ack: {links.ack}"
    if len(groups) == 1:
        voice = f"Muster alert. {first.severity} on {first.service}: {first.summary[:200]}. Firing {firing_for(first.first_seen, now)}."
    else:
        voice = f"Muster alert. {headline}. The oldest: {first.summary[:200]}."
    data = {
        "kind": "page",
        "headline": headline,
        "groups": [
            {"id": g.id, "service": g.service, "severity": g.severity, "summary": g.summary,
             "status": g.status, "alert_count": g.alert_count, "first_seen": isoformat(g.first_seen),
             "url": links.group[g.id]}
            for g in groups
        ],
        "acknowledge_url": links.ack,
        "resolve_url": links.resolve,
    }  # fmt: skip
    return Rendered(
        headline, "\n".join(lines), _html(headline, groups, links, now), short, voice, data
    )


def _html(headline: str, groups: Sequence[GroupView], links: Links, now: datetime) -> str:
    rows = "".join(
        f"<li><strong>{escape(g.severity.upper())}</strong> {escape(g.service)}: "
        f'<a href="{escape(links.group[g.id])}">{escape(g.summary)}</a> '
        f"— firing {escape(firing_for(g.first_seen, now))}</li>"
        for g in groups
    )
    buttons = " ".join(
        f'<a href="{escape(url)}" style="padding:6px 12px;border:1px solid #555">{label}</a>'
        for url, label in ((links.ack, "Acknowledge"), (links.resolve, "Resolve"))
        if url
    )
    return (
        f"<html><body><p><strong>{escape(headline)}</strong></p><ul>{rows}</ul>"
        f"<p>{buttons}</p><p>Or reply to this email with “ack” or “resolve”.</p></body></html>"
    )


def render_notice(
    subject: str, text: str, kind: str, extra: dict[str, Any] | None = None
) -> Rendered:
    """A message that is not a page: a verification code, a test, an announcement, an
    alarm about Muster itself."""
    return Rendered(
        subject=subject,
        text=text,
        short=f"Muster: {text}"[:300],
        voice=text[:400],
        data={"kind": kind, "subject": subject, "text": text, **(extra or {})},
    )
