"""Moving a run's rows: a step ends (done, skipped, failed), the next becomes due, the
run ends — each with its event on the incident's timeline.

* A step ending ``done`` or ``skipped`` makes the next pending step due now; the last
  one ending ends the run ``succeeded``.
* A step failing ends the run ``failed`` (or, for a rejected approval, ``cancelled``);
  the steps not yet ended are ``cancelled``.

Events (see the playbooks contract): ``incident.playbook_step`` {run_id, playbook_id,
name, step, kind, status, detail} and ``incident.playbook_finished`` {run_id,
playbook_id, name, status, error}. Callers redact secrets before they get here.
"""

from __future__ import annotations

from typing import Any

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Via
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.playbooks.models import RUN_ENDED, PlaybookRun, RunStep

STEP_EVENT = "incident.playbook_step"
FINISHED_EVENT = "incident.playbook_finished"
UNENDED = ("pending", "running", "waiting", "awaiting_approval")
MAX_DETAIL = 1000
MAX_ERROR = 2000


def actor_for(run: PlaybookRun) -> Actor:
    """The engine acting for ``run`` (an admin-level system actor named after it)."""
    return Actor.system(Via.ENGINE, label=f"playbook: {run.playbook.name}"[:320])


def run_path(run_id: str) -> str:
    return f"/playbook-runs/{run_id}"


def _about(run: PlaybookRun) -> dict[str, Any]:
    return {"run_id": run.id, "playbook_id": run.playbook_id, "name": run.playbook.name}


def step_event(
    uow: UnitOfWork, run: PlaybookRun, row: RunStep, status: str, detail: str, **extra: Any
) -> None:
    incident = uow.session.get_one(Incident, run.incident_id)
    record(uow, actor_for(run), incident, STEP_EVENT, **_about(run), step=row.name,
           kind=row.kind, status=status, detail=detail[:MAX_DETAIL], **extra)  # fmt: skip


def complete_step(
    uow: UnitOfWork, row: RunStep, status: str, detail: str, output: dict[str, Any] | None = None
) -> None:
    """End ``row`` ``done`` (its output kept for later steps) or ``skipped``; the next
    step is due now, or the run succeeds."""
    run = row.run
    row.status, row.ended_at, row.due_at, row.claimed_until = status, uow.now, None, None
    row.error = None
    row.output = output if output is not None else ({} if status == "done" else {"skipped": True})
    run.outputs = {**(run.outputs or {}), row.name: row.output}
    step_event(uow, run, row, status, detail)
    advance(uow, run, row)


def advance(uow: UnitOfWork, run: PlaybookRun, after: RunStep) -> None:
    nxt = next((s for s in run.steps if s.position > after.position and s.status == "pending"),
               None)  # fmt: skip
    if nxt is None:
        end_run(uow, run, "succeeded")
        return
    nxt.due_at = uow.now
    run.status = "running"


def fail_step(uow: UnitOfWork, row: RunStep, error: str, *, run_status: str = "failed") -> None:
    """End ``row`` ``failed`` with ``error`` (already redacted), and the run with it."""
    run = row.run
    row.status, row.ended_at, row.due_at, row.claimed_until = "failed", uow.now, None, None
    row.error = error[:MAX_ERROR]
    step_event(uow, run, row, "failed", error)
    end_run(uow, run, run_status, f"step {row.name}: {error}")


def end_run(uow: UnitOfWork, run: PlaybookRun, status: str, error: str | None = None) -> bool:
    """End ``run`` with ``status`` (succeeded, failed, cancelled); its unended steps are
    cancelled. False (nothing done) when it had already ended."""
    if run.status in RUN_ENDED:
        return False
    now = uow.now
    run.status, run.ended_at = status, now
    run.error = error[:MAX_ERROR] if error else None
    for row in run.steps:
        if row.status in UNENDED:
            row.status, row.ended_at, row.due_at, row.claimed_until = "cancelled", now, None, None
    incident = uow.session.get_one(Incident, run.incident_id)
    record(uow, actor_for(run), incident, FINISHED_EVENT, **_about(run), status=status,
           error=run.error)  # fmt: skip
    return True
