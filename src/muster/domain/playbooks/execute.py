"""Taking a run's due step: the engine claims it (``FOR UPDATE SKIP LOCKED``) and
:func:`take_step` moves it on. Which steps are due (:func:`due_steps`):

* ``pending`` or ``waiting`` with ``due_at`` passed — a step's turn, a wait's end or
  re-check, an action's retry;
* ``awaiting_approval`` with ``due_at`` (its deadline) passed — the approval timed out;
* ``running`` with ``claimed_until`` passed — an action whose worker died mid-call.

A pending step's ``when`` is checked first (skipped, and why, when it does not hold).
Then by kind: the immediate kinds act through the incident's commands
(:mod:`.step_kinds`); ``wait`` waits ``minutes``, or until its condition holds
(re-checked every minute and, through :func:`wake_waits`, as the incident changes) up
to ``timeout_minutes``; ``approval`` asks (:mod:`.approvals`); ``action`` is rendered
and claimed here and sent after commit (:mod:`.actions`).

A step whose precondition fails (a :class:`muster.errors.MusterError`: an unknown
person, a template error ...) fails, and its run with it. Anything else raises: the
engine rolls the pass back and tries the step again later.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Select, and_, or_, select

from muster.db.uow import UnitOfWork
from muster.domain.incidents.models import Incident
from muster.domain.playbooks import schemas as s
from muster.domain.playbooks.actions import ActionCall, lease_expired, prepare
from muster.domain.playbooks.approvals import ask, expire
from muster.domain.playbooks.conditions import explain, facts_of, holds
from muster.domain.playbooks.models import RUN_ENDED, PlaybookRun, RunStep
from muster.domain.playbooks.run_state import (
    actor_for,
    complete_step,
    end_run,
    fail_step,
    step_event,
)
from muster.domain.playbooks.step_kinds import HANDLERS, StepContext
from muster.domain.playbooks.templating import context_for
from muster.errors import MusterError

RECHECK = timedelta(minutes=1)
STEP: TypeAdapter[Any] = TypeAdapter(s.Step)
LIVE_RUN = ("running", "waiting", "awaiting_approval")


def due_steps(now: datetime) -> Select[RunStep]:
    """The steps of live runs the engine should take at ``now``, oldest due first."""
    live = select(PlaybookRun.id).where(PlaybookRun.status.in_(LIVE_RUN))
    return (
        select(RunStep)
        .where(
            RunStep.run_id.in_(live),
            or_(
                and_(
                    RunStep.status.in_(("pending", "waiting", "awaiting_approval")),
                    RunStep.due_at <= now,
                ),
                and_(RunStep.status == "running", RunStep.claimed_until <= now),
            ),
        )
        .order_by(RunStep.due_at, RunStep.run_id, RunStep.position)
    )


def any_due(uow: UnitOfWork, now: datetime) -> bool:
    return uow.session.scalar(due_steps(now).with_only_columns(RunStep.id).limit(1)) is not None


def take_step(
    uow: UnitOfWork, row: RunStep, now: datetime, secrets: Callable[[], dict[str, str]]
) -> ActionCall | None:
    """Move ``row`` (claimed, due) on; an action to send after commit is returned.
    ``secrets`` is called only when an action needs them."""
    run = row.run
    if run.status in RUN_ENDED:
        row.status, row.due_at, row.claimed_until = "cancelled", None, None
        return None
    incident = uow.session.get_one(Incident, run.incident_id)
    step = STEP.validate_python(row.definition)
    values = context_for(uow, incident, run.outputs or {})
    ctx = StepContext(uow, actor_for(run), run, row, incident, values, now)
    try:
        return _take(ctx, step, secrets)
    except MusterError as exc:
        if row.status not in ("failed", "done", "skipped"):
            fail_step(uow, row, exc.detail)
        return None


def _take(ctx: StepContext, step: Any, secrets: Callable[[], dict[str, str]]) -> ActionCall | None:
    row = ctx.row
    if row.status == "awaiting_approval":
        expire(ctx, step)
        return None
    if row.status == "running":
        return lease_expired(ctx, step, secrets())
    if row.status == "waiting":
        _continue_wait(ctx, step)
        return None
    if row.started_at is None:
        row.started_at = ctx.now
        if step.when is not None and not holds(step.when, facts_of(ctx.uow, ctx.incident), ctx.now):
            complete_step(ctx.uow, row, "skipped", f"skipped: {explain(step.when)} does not hold")
            return None
    if isinstance(step, s.WaitStep):
        _start_wait(ctx, step)
    elif isinstance(step, s.ApprovalStep):
        ask(ctx, step)
    elif isinstance(step, s.ActionStep):
        return prepare(ctx, step, secrets())
    else:
        result = HANDLERS[step.kind](ctx, step)
        complete_step(ctx.uow, row, "done", result.detail, result.output)
    return None


def _start_wait(ctx: StepContext, step: s.WaitStep) -> None:
    row, now = ctx.row, ctx.now
    if step.minutes is not None:
        if step.minutes == 0:
            complete_step(ctx.uow, row, "done", "waited 0 minutes", {"timed_out": False})
            return
        row.due_at = row.deadline_at = now + timedelta(minutes=step.minutes)
        detail = f"waiting {step.minutes} minutes, until {row.due_at:%Y-%m-%d %H:%M} UTC"
    else:
        if holds(step.until, facts_of(ctx.uow, ctx.incident), now):
            complete_step(ctx.uow, row, "done", f"{explain(step.until)} holds",
                          {"timed_out": False})  # fmt: skip
            return
        row.deadline_at = (
            now + timedelta(minutes=step.timeout_minutes) if step.timeout_minutes else None
        )
        row.due_at = _recheck_at(row, now)
        detail = f"waiting until {explain(step.until)}"
        if row.deadline_at is not None:
            detail += f", at most {step.timeout_minutes} minutes"
    row.status, ctx.run.status = "waiting", "waiting"
    step_event(ctx.uow, ctx.run, row, "waiting", detail)


def _recheck_at(row: RunStep, now: datetime) -> datetime:
    nxt = now + RECHECK
    return min(nxt, row.deadline_at) if row.deadline_at is not None else nxt


def _continue_wait(ctx: StepContext, step: s.WaitStep) -> None:
    row, now = ctx.row, ctx.now
    if step.until is None:
        complete_step(ctx.uow, row, "done", f"waited {step.minutes} minutes", {"timed_out": False})
        return
    if holds(step.until, facts_of(ctx.uow, ctx.incident), now):
        complete_step(ctx.uow, row, "done", f"{explain(step.until)} holds", {"timed_out": False})
        return
    if row.deadline_at is not None and row.deadline_at <= now:
        why = f"{explain(step.until)} did not hold within {step.timeout_minutes} minutes"
        if step.on_timeout == "fail":
            fail_step(ctx.uow, row, why)
        else:
            complete_step(ctx.uow, row, "done", f"{why}; going on", {"timed_out": True})
        return
    row.due_at = _recheck_at(row, now)


def wake_waits(uow: UnitOfWork, incident_ids: Iterable[str], now: datetime) -> int:
    """Make the condition waits of runs on ``incident_ids`` due now (the incident
    changed, so the condition may hold); returns how many were woken."""
    ids = list(set(incident_ids))
    if not ids:
        return 0
    rows = uow.session.scalars(
        select(RunStep)
        .join(PlaybookRun, PlaybookRun.id == RunStep.run_id)
        .where(
            PlaybookRun.incident_id.in_(ids),
            PlaybookRun.status == "waiting",
            RunStep.status == "waiting",
            RunStep.kind == "wait",
        )
    ).all()
    woken = 0
    for row in rows:
        if row.definition.get("until") is not None and (row.due_at is None or row.due_at > now):
            row.due_at = now
            woken += 1
    return woken


def condition_waits_exist(uow: UnitOfWork) -> bool:
    """Whether any run waits on a condition (whose incident's events would wake it)."""
    query = select(RunStep.id).where(
        RunStep.status == "waiting",
        RunStep.kind == "wait",
        RunStep.deadline_at.is_(None) | (RunStep.due_at != RunStep.deadline_at),
    )
    return uow.session.scalar(query.limit(1)) is not None


__all__ = ["any_due", "condition_waits_exist", "due_steps", "end_run", "take_step", "wake_waits"]
