"""Pydantic shapes for account input and output."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
RoleName = Literal["viewer", "responder", "manager", "admin"]


def _email(value: str) -> str:
    value = value.strip().lower()
    if not EMAIL_RE.match(value) or len(value) > 320:
        raise ValueError("not an email address")
    return value


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone name (e.g. Europe/Berlin)") from None
    if value not in _zones():
        raise ValueError("not an IANA time zone name (e.g. Europe/Berlin)")
    return value


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


Email = Annotated[str, AfterValidator(_email)]
TimeZone = Annotated[str, AfterValidator(_zone)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=2000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UserCreate(Strict):
    email: Email
    name: Name
    time_zone: TimeZone = "UTC"
    role: RoleName = "responder"
    password: str | None = Field(default=None, max_length=1024)


class UserUpdate(Strict):
    name: Name | None = None
    time_zone: TimeZone | None = None
    role: RoleName | None = None
    password: str | None = Field(default=None, max_length=1024)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    name: str
    time_zone: str
    role: RoleName
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


class TeamCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    description: Description = ""


class TeamUpdate(Strict):
    name: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
        | None
    ) = None
    description: Description | None = None


class MemberOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: Literal["member", "manager"]


class TeamOut(BaseModel):
    id: str
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    members: list[MemberOut]


class MemberAdd(Strict):
    user_id: str = Field(min_length=1, max_length=36)
    role: Literal["member", "manager"] = "member"


class TokenCreate(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
    expires_at: AwareDatetime | None = None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    user_id: str
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown this once; store it now.")
