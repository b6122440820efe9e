"""Pydantic shapes for action items: creating, changing, reading back.

Priorities are ``P1`` (do it now: within days) to ``P4`` (when there is time); the
default is ``P3``. Kinds say what the item improves: ``prevent`` (it cannot happen
again), ``detect`` (we notice sooner), ``mitigate`` (it hurts less / we recover faster),
``process`` (how we respond)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from muster.domain.accounts.schemas import Strict

Kind = Literal["prevent", "detect", "mitigate", "process"]
Priority = Literal["P1", "P2", "P3", "P4"]
Status = Literal["open", "in_progress", "done", "wont_do"]
KINDS: tuple[str, ...] = ("prevent", "detect", "mitigate", "process")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3", "P4")
STATUSES: tuple[str, ...] = ("open", "in_progress", "done", "wont_do")
STATUS_LABELS = {"open": "Open", "in_progress": "In progress", "done": "Done",
                 "wont_do": "Won't do"}  # fmt: skip
PRIORITY_LABELS = {"P1": "P1 urgent", "P2": "P2 high", "P3": "P3 medium", "P4": "P4 low"}

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Text = Annotated[str, StringConstraints(max_length=20_000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]
TrackerUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
TrackerKey = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


def _check_url(value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("https://", "http://")):
        raise ValueError("must be an http(s) address")
    return value


class ActionItemIn(Strict):
    """A new action item. ``team_id`` left out is the owner's team, else the team of the
    incident's first service."""

    title: Title
    description: Text = ""
    kind: Kind
    priority: Priority = "P3"
    owner_id: Id | None = None
    team_id: Id | None = None
    due_on: date | None = None
    tracker_url: TrackerUrl | None = None
    tracker_key: TrackerKey | None = None

    _url = field_validator("tracker_url")(_check_url)


class ActionItemUpdate(Strict):
    """Only the fields given change; ``owner_id``, ``team_id``, ``due_on`` and the tracker
    fields given as null clear them. ``wont_do_reason`` is required to move to
    ``wont_do``."""

    title: Title | None = None
    description: Text | None = None
    kind: Kind | None = None
    priority: Priority | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    due_on: date | None = None
    status: Status | None = None
    wont_do_reason: Reason | None = None
    tracker_url: TrackerUrl | None = None
    tracker_key: TrackerKey | None = None

    _url = field_validator("tracker_url")(_check_url)


class ActionItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str  # AI-<number>
    number: int
    incident_id: str
    incident_ref: str
    review_id: str | None
    title: str
    description: str
    kind: str
    priority: str
    owner_id: str | None
    owner_name: str | None
    team_id: str | None
    team_name: str | None
    due_on: date | None
    status: str
    done_at: datetime | None
    done_by: str | None
    wont_do_reason: str | None
    tracker_url: str | None
    tracker_key: str | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    age_days: int
    overdue: bool
