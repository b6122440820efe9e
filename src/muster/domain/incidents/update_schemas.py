"""Pydantic shapes for status updates and stakeholder subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Strict

UpdateText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=10_000)]
PublicStatus = Literal["investigating", "identified", "monitoring", "resolved"]
PUBLIC_STATUSES: tuple[str, ...] = ("investigating", "identified", "monitoring", "resolved")
UPDATE_KINDS = ("internal", "public")


class InternalUpdateIn(Strict):
    """For the response team: what is true now, what is being done, what is needed."""

    kind: Literal["internal"] = "internal"
    conditions: UpdateText = ""
    actions: UpdateText = ""
    needs: UpdateText = ""


class PublicUpdateIn(Strict):
    """For stakeholders (and, when the incident is customer-facing and not restricted,
    the status page): plain language, with the status shown beside it."""

    kind: Literal["public"]
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]
    public_status: PublicStatus


UpdateIn = Annotated[InternalUpdateIn | PublicUpdateIn, Field(discriminator="kind")]


class UpdateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    incident_id: str
    kind: str
    public_status: str | None
    conditions: str
    actions: str
    needs: str
    body: str
    posted_at: datetime
    author_id: str | None
    author_label: str


SubscriberType = Literal["user", "channel"]
ScopeType = Literal["incident", "service", "severity"]
Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=36)]


class SubscriptionIn(Strict):
    """Who follows what: a person (``user``, default yourself) or an announcement
    channel follows one incident, every incident of a service, or every incident of a
    severity (``scope_id`` 1 to 5)."""

    subscriber_type: SubscriberType = "user"
    subscriber_id: Id | None = Field(default=None, description="Yourself when left out")
    scope_type: ScopeType
    scope_id: Id


class SubscriptionOut(BaseModel):
    id: str
    subscriber_type: str
    subscriber_id: str
    subscriber_name: str
    scope_type: str
    scope_id: str
    scope_name: str
    created_at: datetime
    created_by: str
