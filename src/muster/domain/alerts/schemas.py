"""Pydantic shapes for alerts, integrations, rules and maintenance windows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from muster.domain.accounts.schemas import Strict
from muster.domain.alerts.routing import condition_problem

IntegrationType = Literal[
    "alertmanager", "pagerduty", "grafana", "generic", "email", "heartbeat",
    "frigate", "access_control", "access_control_mqtt",  # physical security (domain/physical)
    "wazuh", "suricata", "falco", "elastic", "splunk", "cef",  # integrations/security
]  # fmt: skip
Severity = Literal["critical", "error", "warning", "info"]
AlertStatus = Literal["triggered", "acknowledged", "resolved"]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]


class IntegrationCreate(Strict):
    type: IntegrationType
    name: ShortName | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)


class IntegrationUpdate(Strict):
    name: ShortName | None = None
    config: dict[str, Any] | None = None
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)


class IntegrationOut(BaseModel):
    id: str
    service_id: str
    type: IntegrationType
    name: str
    key: str
    url: str
    config: dict[str, Any]
    rate_limit_per_minute: int | None
    created_at: datetime
    revoked_at: datetime | None
    last_received_at: datetime | None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    service_id: str
    integration_id: str | None
    group_id: str
    dedup_key: str
    status: AlertStatus
    severity: Severity
    summary: str
    details: str
    source: str
    component: str | None
    group_name: str | None
    class_name: str | None
    labels: dict[str, Any]
    custom_details: dict[str, Any]
    links: list[Any]
    images: list[Any]
    occurrences: int
    first_seen: datetime
    last_seen: datetime
    occurred_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    resolved_by: str | None
    suppressed_reason: str | None
    flapping: bool
    site_id: str | None = None  # where it happened (muster.domain.sites.placement)
    zone_id: str | None = None


class AlertDetailOut(AlertOut):
    raw: dict[str, Any]


class AlertBulkAction(Strict):
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=36)]] = Field(
        min_length=1, max_length=500
    )


class ConditionIn(Strict):
    field: str = Field(max_length=200)
    op: str
    value: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _valid(self) -> ConditionIn:
        if problem := condition_problem(self.model_dump()):
            raise ValueError(problem)
        return self


class ActionsIn(Strict):
    route_to_service_id: str | None = Field(default=None, max_length=36)
    set_severity: Severity | None = None
    add_labels: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=200)],
        Annotated[str, StringConstraints(max_length=1000)],
    ] = Field(default_factory=dict, max_length=50)
    suppress: bool = False
    drop: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ActionsIn:
        if self.drop and (
            self.suppress or self.route_to_service_id or self.set_severity or self.add_labels
        ):
            raise ValueError("a dropping rule does nothing else")
        return self


class RuleIn(Strict):
    name: ShortName
    enabled: bool = True
    match: Literal["all", "any"] = "all"
    conditions: list[ConditionIn] = Field(min_length=1, max_length=50)
    actions: ActionsIn
    position: int | None = Field(default=None, ge=0, le=100_000)


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    position: int
    name: str
    enabled: bool
    match: str
    conditions: list[Any]
    actions: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class MaintenanceIn(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]

    @model_validator(mode="after")
    def _ordered(self) -> MaintenanceIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class MaintenanceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    service_id: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    created_at: datetime
    created_by: str
    cancelled_at: datetime | None


class GroupingIn(Strict):
    mode: Literal["none", "dedup", "labels"]
    labels: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    window_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _labels_for_label_mode(self) -> GroupingIn:
        if self.mode == "labels" and not self.labels:
            raise ValueError("grouping by labels needs at least one label")
        return self
