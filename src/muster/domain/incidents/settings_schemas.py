"""Pydantic shapes for the admin's incident settings: severity definitions, incident
types and role types."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from muster.domain.accounts.schemas import Strict

Key = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z][a-z0-9_]{0,39}$"),
    Field(description="Lower-case letters, digits and _, starting with a letter; fixed once made"),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
SeverityLabel = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)
]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]
Instructions = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Cadence = Annotated[
    int, Field(ge=5, le=10_080, description="Minutes between status updates (5 to 10080)")
]
Position = Annotated[int, Field(ge=0, le=1000, description="Where the role is listed (low first)")]


class SeverityEdit(Strict):
    """Only the fields given change; ``update_cadence_minutes: null`` means no cadence."""

    label: SeverityLabel | None = None
    description: Description | None = None
    update_cadence_minutes: Cadence | None = None
    requires_commander: bool | None = None


class SeverityOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: int
    name: str
    label: str
    description: str
    update_cadence_minutes: int | None
    requires_commander: bool
    updated_at: datetime


class IncidentTypeCreate(Strict):
    key: Key
    name: Name
    description: Description = ""
    restricted_by_default: bool = False


class IncidentTypeUpdate(Strict):
    """Only the fields given change (the key stays: incidents refer to it)."""

    name: Name | None = None
    description: Description | None = None
    restricted_by_default: bool | None = None


class IncidentTypeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    name: str
    description: str
    restricted_by_default: bool
    builtin: bool
    created_at: datetime
    archived_at: datetime | None


class RoleTypeCreate(Strict):
    key: Key
    name: Name
    instructions: Instructions = ""
    position: Position = 100


class RoleTypeUpdate(Strict):
    name: Name | None = None
    instructions: Instructions | None = None
    position: Position | None = None


class RoleTypeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    key: str
    name: str
    instructions: str
    position: int
    builtin: bool
    created_at: datetime
    archived_at: datetime | None
