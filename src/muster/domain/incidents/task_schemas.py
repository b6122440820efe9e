"""Pydantic shapes for an incident's tasks: creating, changing, reading back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints

from muster.domain.accounts.schemas import Strict

TaskTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
TaskText = Annotated[str, StringConstraints(max_length=20_000)]
UserId = Annotated[str, StringConstraints(min_length=1, max_length=36)]
TaskStatus = Literal["open", "done", "cancelled"]
# The incident phase a task belongs to (its lifecycle statuses before review).
TaskPhase = Literal[
    "triage", "investigating", "contained", "eradicated", "recovering", "resolved", "in_review",
]  # fmt: skip


class TaskIn(Strict):
    """A new task. ``phase`` left out is the incident's current phase; ``due_at`` must
    carry a time zone."""

    title: TaskTitle
    description: TaskText = ""
    owner_id: UserId | None = None
    due_at: AwareDatetime | None = None
    phase: TaskPhase | None = None


class TaskUpdate(Strict):
    """Only the fields given change; ``owner_id``, ``due_at`` or ``phase`` given as null
    clear it."""

    title: TaskTitle | None = None
    description: TaskText | None = None
    owner_id: UserId | None = None
    due_at: AwareDatetime | None = None
    status: TaskStatus | None = None
    phase: TaskPhase | None = None


class TaskOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    title: str
    description: str
    owner_id: str | None
    owner_name: str | None
    due_at: datetime | None
    status: str
    phase: str | None
    source: str
    created_at: datetime
    created_by: str
    completed_at: datetime | None
    overdue: bool
