"""The timeline lines and the reminder message of action-item events."""

from __future__ import annotations

from muster.domain.incidents.timeline_text import describe
from muster.domain.notify.incident_notices import NOTICES
from muster.domain.reviews.action_notices import action_messages


def test_timeline_lines() -> None:
    added = {"key": "AI-3", "priority": "P1", "kind": "detect", "title": "Alert on disk"}
    assert describe("incident.action_item_added", added, {}) == (
        "action item AI-3 (P1, detect): Alert on disk"
    )
    done = {"key": "AI-3", "title": "Alert on disk",
            "changes": {"status": {"from": "open", "to": "wont_do"}}}  # fmt: skip
    assert describe("incident.action_item_updated", done, {}).endswith("status wont do")
    moved = {"key": "AI-3", "title": "T", "changes": {"due_on": {}, "owner_id": {}}}
    assert describe("incident.action_item_updated", moved, {}).endswith("changed due_on, owner_id")
    reminded = {"key": "AI-3", "user_ids": ["a", "b"], "due_on": "2026-01-06"}
    assert describe("incident.action_item_reminded", reminded, {}) == (
        "reminded 2 of overdue action item AI-3 (due 2026-01-06)"
    )


def test_reminder_message_to_each_person_named() -> None:
    assert "incident.action_item_reminded" in NOTICES
    data = {"key": "AI-3", "title": "Alert", "due_on": "2026-01-06", "user_ids": ["m1", "m2"],
            "owner": False}  # fmt: skip
    messages = list(action_messages("incident.action_item_reminded", data, "i1", "[SEV2] INC-1", "INC-1"))  # fmt: skip
    assert [m.user_id for m in messages] == ["m1", "m2"]
    assert messages[0].text.startswith("Your team's action item (no owner) AI-3")
    assert messages[0].path == "/incidents/i1/action-items"
    assert list(action_messages("incident.other", data, "i1", "t", "a")) == []
