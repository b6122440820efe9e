"""The words of review events: the timeline's lines and the notices' texts."""

from __future__ import annotations

from muster.domain.incidents.timeline_text import describe
from muster.domain.reviews.review_notices import review_messages


def test_timeline_lines_for_review_events() -> None:
    names = {"u1": "Rita"}
    assert describe(
        "incident.review_created", {"required": True, "due_at": "2026-01-13T00:00:00Z"}, names
    ) == ("post-incident review started (required, due 2026-01-13)")
    assert (
        describe("incident.review_status_changed", {"from": "in_review", "to": "approved"}, names)
        == "review in review → approved"
    )
    assert describe("incident.review_owner_set", {"user_id": "u1"}, names) == "review owner: Rita"
    assert (
        describe("incident.review_reminded", {"overdue": True, "user_ids": ["u1"]}, names)
        == "review overdue: reminded 1 people"
    )
    assert (
        describe("incident.feedback_given", {"rating": 4}, names) == "response feedback given (4/5)"
    )


def test_feedback_asks_every_participant_and_reminders_say_overdue() -> None:
    asked = list(
        review_messages(
            "incident.review_created", {"user_ids": ["a", "b"]}, "i1", "[SEV2] INC-1", "INC-1"
        )
    )
    assert [m.user_id for m in asked] == ["a", "b"]
    assert asked[0].path == "/incidents/i1/review"
    assert "how did the response go" in asked[0].subject
    (late,) = review_messages(
        "incident.review_reminded", {"user_ids": ["a"], "overdue": True, "due_at": "2026-01-13T00:00:00+00:00"},
        "i1", "[SEV2] INC-1", "INC-1",
    )  # fmt: skip
    assert late.subject == "[SEV2] INC-1 review overdue"
    assert "was due at 2026-01-13 00:00 UTC" in late.text
