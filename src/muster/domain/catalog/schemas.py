"""Pydantic shapes for the catalog."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Description, Strict

ServiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class ServiceCreate(Strict):
    name: ServiceName
    description: Description = ""
    team_id: str = Field(min_length=1, max_length=36)
    site_id: str | None = Field(default=None, min_length=1, max_length=36)


class ServiceUpdate(Strict):
    name: ServiceName | None = None
    description: Description | None = None
    team_id: str | None = Field(default=None, min_length=1, max_length=36)
    # Given as null: the service belongs to no site any more.
    site_id: str | None = Field(default=None, min_length=1, max_length=36)


class ServiceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    description: str
    team_id: str
    team_name: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    alert_grouping: dict[str, Any]
    flap_threshold: int
    flap_window_minutes: int
    site_id: str | None = None
