"""The words of an overdue action item's reminder (queued by
:mod:`muster.domain.notify.incident_notices` to the people the event names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

ACTION_NOTICES = frozenset({"incident.action_item_reminded"})


class ActionMessage(NamedTuple):
    user_id: str
    urgency: str
    subject: str
    text: str
    path: str


def action_messages(
    event_type: str, data: dict[str, Any], incident_id: str, tag: str, about: str
) -> Iterator[ActionMessage]:
    """One low-urgency notice per person named in ``user_ids``."""
    if event_type != "incident.action_item_reminded":
        return
    key = str(data.get("key") or "An action item")
    title = str(data.get("title") or "")
    due = str(data.get("due_on") or "")
    whose = "Your action item" if data.get("owner") else "Your team's action item (no owner)"
    text = (
        f"{whose} {key} “{title}” from {about} was due on {due} and is not done. "
        "Finish it, move its due day, or mark it won't do with the reason:"
    )
    for uid in data.get("user_ids") or []:
        yield ActionMessage(
            str(uid), "low", f"{tag} overdue action item {key}: {title}", text,
            f"/incidents/{incident_id}/action-items",
        )  # fmt: skip
