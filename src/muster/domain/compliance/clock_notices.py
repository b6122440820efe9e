"""The words of the messages a regulatory clock sends (queued by
:mod:`muster.domain.notify.incident_notices` to the people its events name): a notice at
50 %, 75 % and 90 %, a page at one hour left, a notice when the deadline is missed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, NamedTuple

CLOCK_PAGES = frozenset({"incident.deadline_approaching"})  # a page when its data says page
CLOCK_NOTICES = frozenset({"incident.deadline_missed"})


class ClockMessage(NamedTuple):
    user_id: str
    urgency: str  # high: a page; low: a notice
    subject: str
    text: str
    path: str


def _due(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    text = str(value or "")
    return f"{text[:16].replace('T', ' ')} UTC" if text else "its deadline"


def _left(minutes: int) -> str:
    hours, mins = divmod(max(minutes, 0), 60)
    days, hours = divmod(hours, 24)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min"]
    return " ".join(p for p in parts if p and not (p == "0 min" and (days or hours)))


def clock_messages(
    event_type: str, data: dict[str, Any], incident_id: str, tag: str, about: str
) -> Iterator[ClockMessage]:
    """The messages of a clock event, one per person named in ``user_ids``."""
    name = str(data.get("name") or data.get("deadline") or "a report")
    path = f"/incidents/{incident_id}/compliance"
    due = _due(data.get("due_at"))
    if event_type == "incident.deadline_approaching":
        page = bool(data.get("page"))
        left = _left(int(data.get("minutes_left") or 0))
        subject = f"{tag} {name} due in {left}"
        text = f"“{name}” for {about} is due at {due} ({left} left) and not submitted yet."
        if data.get("pct"):
            text += f" {data['pct']} % of its time has gone."
        text += " Submit it, or record why it will be late:"
        for uid in data.get("user_ids") or []:
            yield ClockMessage(str(uid), "high" if page else "low", subject, text, path)
    elif event_type == "incident.deadline_missed":
        for uid in data.get("user_ids") or []:
            yield ClockMessage(
                str(uid), "low", f"{tag} deadline missed: {name}",
                f"“{name}” for {about} was due at {due} and was not submitted. Submit it"
                " late with the reason, and record why it was missed:",
                path,
            )  # fmt: skip
