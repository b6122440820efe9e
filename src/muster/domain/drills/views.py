"""What the API and pages show of scenarios and runs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from muster.db.uow import UnitOfWork
from muster.domain.drills.drill_time import offset_at
from muster.domain.drills.models import DrillRun, Scenario, ScenarioVersion


class ScenarioOut(BaseModel):
    id: str
    key: str
    title: str
    description: str
    builtin: bool
    current_version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    source: str | None = None
    definition: dict[str, Any] | None = None
    versions: list[int] = []


def scenario_out(
    scenario: Scenario, current: ScenarioVersion | None = None,
    versions: Sequence[ScenarioVersion] = (),
) -> ScenarioOut:  # fmt: skip
    return ScenarioOut(
        id=scenario.id, key=scenario.key, title=scenario.title,
        description=scenario.description, builtin=scenario.builtin,
        current_version=scenario.current_version, created_at=scenario.created_at,
        updated_at=scenario.updated_at, archived_at=scenario.archived_at,
        source=current.source if current else None,
        definition=current.definition if current else None,
        versions=[v.version for v in versions],
    )  # fmt: skip


class InjectOut(BaseModel):
    id: str
    name: str
    kind: str
    status: str
    due_offset: int | None
    fired_at: datetime | None
    fired_offset: int | None
    text: str | None
    to_role: str | None
    output: dict[str, Any]
    error: str | None


class ExpectationOut(BaseModel):
    id: str
    name: str
    title: str
    check: str
    status: str
    deadline_offset: int | None
    observed_offset: int | None
    note: str
    graded_by: str | None


class RunOut(BaseModel):
    id: str
    scenario_id: str
    title: str
    mode: str
    status: str
    team_id: str
    facilitator_id: str
    participants: dict[str, Any]
    service_id: str | None
    started_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    offset: int  # drill time now, seconds
    score: float | None
    notes: str
    report_kept_at: datetime | None
    cleaned_up_at: datetime | None
    injects: list[InjectOut]
    expectations: list[ExpectationOut]


def run_out(uow: UnitOfWork, run: DrillRun) -> RunOut:
    return RunOut(
        id=run.id, scenario_id=run.scenario_id, title=run.title, mode=run.mode,
        status=run.status, team_id=run.team_id, facilitator_id=run.facilitator_id,
        participants=run.participants, service_id=run.service_id, started_at=run.started_at,
        ended_at=run.ended_at, end_reason=run.end_reason,
        offset=offset_at(run, run.ended_at or uow.now), score=run.score, notes=run.notes,
        report_kept_at=run.report_kept_at, cleaned_up_at=run.cleaned_up_at,
        injects=[InjectOut(
            id=i.id, name=i.name, kind=i.kind, status=i.status, due_offset=i.due_offset,
            fired_at=i.fired_at, fired_offset=i.fired_offset, text=i.definition.get("text"),
            to_role=i.definition.get("to_role"), output=i.output, error=i.error,
        ) for i in run.injects],
        expectations=[ExpectationOut(
            id=e.id, name=e.name, title=e.title, check=e.check, status=e.status,
            deadline_offset=e.deadline_offset, observed_offset=e.observed_offset, note=e.note,
            graded_by=e.graded_by,
        ) for e in run.expectations],
    )  # fmt: skip
