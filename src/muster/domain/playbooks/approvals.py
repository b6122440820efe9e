"""Approval steps: the run stops ``awaiting_approval`` until someone holding the step's
role in the incident (or an admin) decides.

* Asking records ``incident.playbook_step`` with status ``awaiting_approval``, naming the
  role's holder in ``notify_user_ids`` and the run page in ``path``: the notification
  reaction sends them a page with the link (where the approve/reject buttons are).
* Approving ends the step ``done`` and the run goes on; rejecting ends the step
  ``failed`` and the run ``cancelled`` (nobody is paged: someone chose this). Both
  record ``incident.playbook_decided`` {run_id, step, decision, by, note}.
* No decision within ``timeout_minutes``: the engine fails the step, and the run.

The step's ``due_at`` is its deadline (None: it waits for ever), so the engine claims an
approval only when it times out.
"""

from __future__ import annotations

from datetime import timedelta

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import holder
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.playbooks.models import RunStep
from muster.domain.playbooks.run_state import complete_step, fail_step, run_path, step_event
from muster.domain.playbooks.schemas import ApprovalStep
from muster.domain.playbooks.step_kinds import StepContext
from muster.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied

DECIDED_EVENT = "incident.playbook_decided"
MAX_NOTE = 2000


def ask(ctx: StepContext, step: ApprovalStep) -> None:
    """Put ``ctx.row`` in ``awaiting_approval`` and tell the role's holder."""
    prompt = ctx.text(step.prompt, "prompt")
    held = holder(ctx.uow, ctx.incident.id, step.role)
    row, run = ctx.row, ctx.run
    deadline = ctx.now + timedelta(minutes=step.timeout_minutes) if step.timeout_minutes else None
    row.status, row.due_at, row.deadline_at = "awaiting_approval", deadline, deadline
    row.output = {"prompt": prompt, "role": step.role}
    run.status = "awaiting_approval"
    who = f"the {step.role}" if held else f"the {step.role} (nobody holds it yet) or an admin"
    step_event(ctx.uow, run, row, "awaiting_approval", f"awaiting approval by {who}: {prompt}",
               role=step.role, prompt=prompt, path=run_path(run.id),
               notify_user_ids=[held.user_id] if held else [],
               deadline_at=deadline.isoformat() if deadline else None)  # fmt: skip


def expire(ctx: StepContext, step: ApprovalStep) -> None:
    """The approval's deadline passed without a decision."""
    fail_step(ctx.uow, ctx.row, f"no decision within {step.timeout_minutes} minutes")


def do_decide_approval(
    uow: UnitOfWork, actor: Actor, step_id: str, approve: bool, note: str = ""
) -> RunStep:
    """Approve (the run goes on) or reject (the run is cancelled) an approval step.

    Preconditions: the step exists, on an incident ``actor`` may see; it is awaiting
    approval; ``actor`` holds the step's role in the incident now, or is an admin; the
    note is at most 2,000 characters."""
    row = uow.session.get(RunStep, step_id)
    if row is None:
        raise NotFound("no such step")
    run = row.run
    incident = get_visible_incident(uow, actor, run.incident_id)
    if row.kind != "approval" or row.status != "awaiting_approval":
        raise Conflict(
            f"this step is {row.status}, not awaiting approval",
            errors=[FieldError("step_id", f"step {row.name} is {row.status}")],
        )
    if len(note) > MAX_NOTE:
        raise InvalidInput("note too long", errors=[FieldError("note", f"at most {MAX_NOTE}")])
    role = str(row.definition.get("role") or "")
    held = holder(uow, incident.id, role)
    if actor.role < Role.ADMIN and (held is None or actor.id is None or held.user_id != actor.id):
        raise PermissionDenied(f"only the {role} of this incident or an admin may decide")
    decision = "approved" if approve else "rejected"
    now = uow.now
    row.decision, row.decided_by, row.decided_at = decision, actor.label, now
    record(uow, actor, incident, DECIDED_EVENT, run_id=run.id, playbook_id=run.playbook_id,
           name=run.playbook.name, step=row.name, decision=decision, by=actor.label,
           note=note)  # fmt: skip
    output = {**(row.output or {}), "decision": decision, "by": actor.label, "note": note}
    if approve:
        complete_step(uow, row, "done", f"approved by {actor.label}", output)
    else:
        row.output = output
        why = f"rejected by {actor.label}" + (f": {note}" if note else "")
        fail_step(uow, row, why, run_status="cancelled")
    return row
