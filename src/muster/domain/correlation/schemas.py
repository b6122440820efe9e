"""Pydantic shapes for correlation rules, matches, alert clusters and settings."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from muster.domain.accounts.schemas import Strict
from muster.domain.correlation.ignore_list import normalise_entries

# The site-event vocabulary (see muster.domain.sites.models.SiteEvent) and camera
# detections as ``detected:<label>``.
ACCESS_KINDS = (
    "access_granted", "access_denied", "door_forced_open", "door_held_open",
    "tailgating_detected", "tamper", "controller_offline", "lockdown",
)  # fmt: skip
DETECTED = re.compile(r"detected:[a-z0-9_-]{1,40}")
MAX_KINDS = 5

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Key = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
TypeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
AlertSeverity = Literal["critical", "error", "warning", "info"]


def kind_problem(kind: str) -> str | None:
    """Why ``kind`` is not a site-event kind, or None."""
    if kind in ACCESS_KINDS or DETECTED.fullmatch(kind):
        return None
    return (
        f"{kind!r} is not a site event kind (one of {', '.join(ACCESS_KINDS)} or detected:<label>)"
    )


class RuleIn(Strict):
    """A correlation rule. ``kinds``: 2 to 5 different site-event kinds that must all
    happen in the same ``scope`` (zone or site) within ``window_minutes``."""

    name: Name
    enabled: bool = True
    kinds: list[str] = Field(min_length=2, max_length=MAX_KINDS)
    scope: Literal["zone", "site"] = "zone"
    restricted_only: bool = False
    window_minutes: int = Field(ge=1, le=24 * 60)
    outcome: Literal["alert", "incident"]
    title: Name
    alert_severity: AlertSeverity = "critical"
    service_id: str | None = Field(default=None, max_length=36)
    incident_type: TypeKey | None = None
    incident_severity: int | None = Field(default=None, ge=1, le=5)
    playbook_key: Key | None = None

    @field_validator("kinds")
    @classmethod
    def _kinds(cls, kinds: list[str]) -> list[str]:
        kinds = [k.strip() for k in kinds]
        for kind in kinds:
            problem = kind_problem(kind)
            if problem:
                raise ValueError(problem)
        if len(set(kinds)) != len(kinds):
            raise ValueError("each kind once")
        return kinds

    @model_validator(mode="after")
    def _outcome(self) -> RuleIn:
        if self.outcome == "alert" and not self.service_id:
            raise ValueError("an alert outcome needs service_id (the service the alert is on)")
        if self.outcome == "incident" and not self.incident_type:
            raise ValueError("an incident outcome needs incident_type")
        if self.restricted_only and self.scope != "zone":
            raise ValueError("restricted_only needs scope 'zone'")
        return self


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    enabled: bool
    kinds: list[str]
    scope: str
    restricted_only: bool
    window_minutes: int
    outcome: str
    title: str
    alert_severity: str
    service_id: str | None
    incident_type: str | None
    incident_severity: int | None
    playbook_key: str | None
    created_at: datetime
    updated_at: datetime


class MatchEventOut(BaseModel):
    id: str
    kind: str
    occurred_at: datetime
    zone_id: str | None
    device_id: str | None
    identity: str | None
    identity_kind: str | None


class MatchOut(BaseModel):
    id: str
    rule_id: str | None
    rule_name: str
    site_id: str
    zone_id: str | None
    first_event_at: datetime
    last_event_at: datetime
    matched_at: datetime
    alert_id: str | None
    incident_id: str | None
    events: list[MatchEventOut]


class ClusterMemberOut(BaseModel):
    alert_id: str
    summary: str
    service_id: str
    integration_type: str | None
    severity: str
    status: str
    first_seen: datetime
    shared: list[dict[str, str]]
    via_alert_id: str | None
    joined_at: datetime


class ClusterOut(BaseModel):
    id: str
    first_seen: datetime
    last_seen: datetime
    alert_count: int
    members: list[ClusterMemberOut]


class SettingsIn(Strict):
    """How security alerts are grouped: alerts sharing a value of one of ``kinds`` seen
    within ``window_minutes`` of each other join one cluster. Values on the ``ignored``
    list (exact values, IP addresses, CIDR networks: :mod:`correlation.ignore_list`) never
    group nor link an alert to an incident; left out (None), the list stays as it is."""

    window_minutes: int = Field(ge=1, le=7 * 24 * 60)
    kinds: list[Literal["ip", "user-account", "hostname", "domain", "email", "url",
                        "hash-md5", "hash-sha1", "hash-sha256", "file-name"]] = Field(
        min_length=1, max_length=10
    )  # fmt: skip
    ignored: list[str] | None = None

    @field_validator("ignored")
    @classmethod
    def _check_ignored(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalise_entries(value)


class SettingsOut(BaseModel):
    window_minutes: int
    kinds: list[str]
    ignored: list[str]
