"""The words of the messages a review sends (queued by
:mod:`muster.domain.notify.incident_notices` to the people its events name in
``user_ids``): participants asked for feedback when the review is created, and the
owner (else the Commander) reminded when it is due soon or overdue."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

REVIEW_NOTICES = frozenset({"incident.review_created", "incident.review_reminded"})


class ReviewMessage(NamedTuple):
    user_id: str
    urgency: str
    subject: str
    text: str
    path: str


def _due(value: Any) -> str:
    text = str(value or "")
    return f"{text[:16].replace('T', ' ')} UTC" if text else "no set date"


def review_messages(
    event_type: str, data: dict[str, Any], incident_id: str, tag: str, about: str
) -> Iterator[ReviewMessage]:
    path = f"/incidents/{incident_id}/review"
    if event_type == "incident.review_created":
        for uid in data.get("user_ids") or []:
            yield ReviewMessage(
                str(uid), "low", f"{tag} how did the response go?",
                f"The review of {about} has started. Tell us how the response went "
                "(1 to 5, and a comment) on the review page:",
                path,
            )  # fmt: skip
    elif event_type == "incident.review_reminded":
        overdue = bool(data.get("overdue"))
        subject = f"{tag} review {'overdue' if overdue else 'due soon'}"
        text = (
            f"The review of {about} {'was' if overdue else 'is'} due at {_due(data.get('due_at'))}"
            " and is not published yet. Finish it, or move its due work on:"
        )
        for uid in data.get("user_ids") or []:
            yield ReviewMessage(str(uid), "low", subject, text, path)
