"""Pydantic shapes for reviews, their templates, feedback and the review policy."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Strict

ReviewStatus = Literal["draft", "in_review", "approved", "published"]
STATUS_LABELS = {
    "draft": "Draft", "in_review": "In review", "approved": "Approved", "published": "Published",
}  # fmt: skip
Body = Annotated[str, StringConstraints(max_length=200_000)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
TypeKey = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Severity = Annotated[int, Field(ge=1, le=5)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class ReviewEdit(Strict):
    """A save: the new text and the ``version`` it was based on (a stale one is a 409)."""

    body: Body
    version: int = Field(ge=1)


class ReviewPatch(Strict):
    """Only the fields given change. ``body`` needs ``version``; ``owner_id`` or
    ``meeting_at`` given as null clear it."""

    body: Body | None = None
    version: int | None = Field(default=None, ge=1)
    status: ReviewStatus | None = None
    owner_id: Annotated[str, StringConstraints(max_length=36)] | None = None
    meeting_at: AwareDatetime | None = None


class FeedbackIn(Strict):
    rating: int = Field(ge=1, le=5)
    comment: Comment = ""


class TemplateIn(Strict):
    name: Name
    type_keys: list[TypeKey] = Field(default_factory=list, max_length=50)
    severities: list[Severity] = Field(default_factory=list, max_length=5)
    body: Body


class TemplateUpdate(Strict):
    name: Name | None = None
    type_keys: list[TypeKey] | None = Field(default=None, max_length=50)
    severities: list[Severity] | None = Field(default=None, max_length=5)
    body: Body | None = None


class PolicyIn(Strict):
    severities: list[Severity] = Field(max_length=5)
    type_keys: list[TypeKey] = Field(max_length=50)
    due_business_days: int = Field(ge=1, le=60)


class TemplateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    type_keys: list[str]
    severities: list[int]
    body: str
    builtin: bool
    created_at: datetime
    updated_at: datetime


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    severities: list[int]
    type_keys: list[str]
    due_business_days: int
    updated_at: datetime
    updated_by: str


class FeedbackSummary(BaseModel):
    count: int
    average: float | None
    distribution: dict[int, int]  # rating → how many
    comments: list[str]


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    template_id: str | None
    status: ReviewStatus
    body: str
    version: int
    owner_id: str | None
    meeting_at: datetime | None
    required: bool
    due_at: datetime | None
    overdue: bool = False
    created_at: datetime
    updated_at: datetime
    updated_by: str
    approved_at: datetime | None
    approved_by: str | None
    published_at: datetime | None
    feedback: FeedbackSummary | None = None
