"""Pydantic shapes for declaring and changing incidents, and for reading them back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Strict

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Severity = Annotated[int, Field(ge=1, le=5, description="1 (SEV1, critical) to 5 (SEV5)")]
TypeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=36)]
MAX_ITEMS = 50

Status = Literal[
    "triage", "investigating", "contained", "eradicated", "recovering", "resolved",
    "in_review", "closed", "declined", "merged",
]  # fmt: skip


class IncidentCreate(Strict):
    """Declaring an incident. ``restricted`` left out follows the type's default;
    ``group_ids`` link alert groups (an incident escalated from alerts)."""

    title: Title
    summary: LongText = ""
    type: TypeKey = "operational"
    severity: Severity = 3
    service_ids: list[Id] = Field(default_factory=list, max_length=MAX_ITEMS)
    sites: list[Label] = Field(default_factory=list, max_length=MAX_ITEMS)
    impact: LongText = ""
    customer_facing: bool = False
    tags: list[Label] = Field(default_factory=list, max_length=MAX_ITEMS)
    restricted: bool | None = None
    detected_at: datetime | None = Field(
        default=None, description="When the problem was first noticed (may predate now)"
    )
    commander_id: Id | None = None
    group_ids: list[Id] = Field(default_factory=list, max_length=MAX_ITEMS)


class IncidentUpdate(Strict):
    """Only the fields given change."""

    title: Title | None = None
    summary: LongText | None = None
    type: TypeKey | None = None
    severity: Severity | None = None
    service_ids: list[Id] | None = Field(default=None, max_length=MAX_ITEMS)
    sites: list[Label] | None = Field(default=None, max_length=MAX_ITEMS)
    impact: LongText | None = None
    customer_facing: bool | None = None
    tags: list[Label] | None = Field(default=None, max_length=MAX_ITEMS)
    restricted: bool | None = None
    site_id: Id | None = Field(
        default=None, description="The site it happened at (/api/v1/sites); null clears it"
    )


class TransitionIn(Strict):
    status: Status
    note: LongText = ""


class TimestampCorrection(Strict):
    field: Literal[
        "detected_at", "investigating_at", "contained_at", "eradicated_at", "recovering_at",
        "resolved_at", "in_review_at", "closed_at",
    ]  # fmt: skip
    at: datetime
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=500)]


class ServiceRef(BaseModel):
    id: str
    name: str


class RoleHolderOut(BaseModel):
    role: str
    role_name: str
    user_id: str
    user_name: str
    since: datetime


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    number: int
    reference: str
    url: str
    title: str
    summary: str
    type: str
    severity: int
    severity_name: str
    status: str
    impact: str
    customer_facing: bool
    restricted: bool
    tags: list[str]
    sites: list[str]
    site_id: str | None = Field(default=None, description="The site it happened at (/api/v1/sites)")
    services: list[ServiceRef]
    exercise_run_id: str | None = Field(
        default=None, description="The drill run that made it; null for a real incident"
    )
    roles: list[RoleHolderOut]
    detected_at: datetime
    declared_at: datetime
    investigating_at: datetime | None
    contained_at: datetime | None
    eradicated_at: datetime | None
    recovering_at: datetime | None
    resolved_at: datetime | None
    in_review_at: datetime | None
    closed_at: datetime | None
    declined_at: datetime | None
    merged_at: datetime | None
    reopened_at: datetime | None
    merged_into_id: str | None
    declared_by: str
    updated_at: datetime
    next_update_due_at: datetime | None
    needs_commander: bool
