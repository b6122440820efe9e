"""Playbooks, versions and runs as the API and CLI show them (outputs and errors are
stored redacted; nothing here ever holds a secret's value)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from muster.domain.playbooks.dry_run import StepPreview
from muster.domain.playbooks.models import Playbook, PlaybookRun, PlaybookVersion, RunStep


class VersionOut(BaseModel):
    version: int
    source: str
    created_at: datetime
    created_by: str


class PlaybookOut(BaseModel):
    id: str
    key: str
    name: str
    description: str
    enabled: bool
    repeatable: bool
    builtin: bool
    current_version: int
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    versions: list[VersionOut] | None = None  # in the answer for one playbook


class RunStepOut(BaseModel):
    id: str
    position: int
    name: str
    kind: str
    status: str
    due_at: datetime | None
    attempts: int
    started_at: datetime | None
    ended_at: datetime | None
    deadline_at: datetime | None
    output: dict[str, Any]
    error: str | None
    decision: str | None
    decided_by: str | None
    decided_at: datetime | None


class RunOut(BaseModel):
    id: str
    playbook_id: str
    playbook_key: str
    playbook_name: str
    version: int
    incident_id: str
    status: str
    trigger: str
    started_at: datetime
    started_by: str
    ended_at: datetime | None
    error: str | None
    outputs: dict[str, Any]
    steps: list[RunStepOut] | None = None  # in the answer for one run


class StepPreviewOut(BaseModel):
    name: str
    kind: str
    would: str
    why: str
    rendered: dict[str, Any]


def playbook_out(
    playbook: Playbook, versions: Sequence[PlaybookVersion] | None = None
) -> PlaybookOut:
    out = PlaybookOut(
        id=playbook.id, key=playbook.key, name=playbook.name, description=playbook.description,
        enabled=playbook.enabled, repeatable=playbook.repeatable, builtin=playbook.builtin,
        current_version=playbook.current_version, created_at=playbook.created_at,
        updated_at=playbook.updated_at, archived_at=playbook.archived_at,
    )  # fmt: skip
    if versions is not None:
        out.versions = [version_out(v) for v in versions]
    return out


def version_out(v: PlaybookVersion) -> VersionOut:
    return VersionOut(
        version=v.version, source=v.source, created_at=v.created_at, created_by=v.created_by
    )


def step_out(step: RunStep) -> RunStepOut:
    return RunStepOut(
        id=step.id, position=step.position, name=step.name, kind=step.kind,
        status=step.status, due_at=step.due_at, attempts=step.attempts,
        started_at=step.started_at, ended_at=step.ended_at, deadline_at=step.deadline_at,
        output=dict(step.output or {}), error=step.error, decision=step.decision,
        decided_by=step.decided_by, decided_at=step.decided_at,
    )  # fmt: skip


def run_out(run: PlaybookRun, steps: Sequence[RunStep] | None = None) -> RunOut:
    out = RunOut(
        id=run.id, playbook_id=run.playbook_id, playbook_key=run.playbook.key,
        playbook_name=run.playbook.name, version=run.version.version,
        incident_id=run.incident_id, status=run.status, trigger=run.trigger,
        started_at=run.started_at, started_by=run.started_by, ended_at=run.ended_at,
        error=run.error, outputs=dict(run.outputs or {}),
    )  # fmt: skip
    if steps is not None:
        out.steps = [step_out(s) for s in steps]
    return out


def preview_out(preview: StepPreview) -> StepPreviewOut:
    return StepPreviewOut(
        name=preview.name, kind=preview.kind, would=preview.would, why=preview.why,
        rendered=preview.rendered,
    )  # fmt: skip
