"""Moving a run on: scheduling injects whose dependencies are done, firing those due (live
runs), deciding expectations from the event log, ending a run that is complete.

:func:`tick` is idempotent — everything it decides is read back from rows and the event
log — so the engine calls it whenever the log grows or a run's timer is due, and a
restart loses nothing. Nothing moves while a run is paused: drill time stands still.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from muster.db.uow import UnitOfWork
from muster.domain.drills.checks import first_match, run_streams
from muster.domain.drills.drill_time import end_pause, offset_at, wall_at
from muster.domain.drills.fire import fire_inject
from muster.domain.drills.models import DrillRun, RunExpectation, RunInject
from muster.domain.drills.schemas import CheckSpec
from muster.domain.events.actor import Actor
from muster.domain.events.service import append_event

RECHECK = timedelta(seconds=60)  # a running run is looked at at least this often
DONE = ("fired", "skipped", "failed")
MAX_STEPS = 200


def tick(uow: UnitOfWork, actor: Actor, run: DrillRun) -> int:
    """Move ``run`` on at ``uow.now``; returns how many injects fired and expectations
    were decided."""
    if run.status != "running":
        return 0
    done = 0
    streams = run_streams(uow, run)
    for _ in range(MAX_STEPS):
        schedule_injects(uow, run, streams)
        due = _next_due(run, uow.now) if run.mode == "live" else None
        if due is None:
            break
        fire_inject(uow, actor, run, due)
        streams = run_streams(uow, run)
        done += 1
    done += evaluate_expectations(uow, actor, run, streams)
    if _complete(run):
        end_run(uow, actor, run, "completed")
    else:
        run.next_check_at = _next_check(run, uow.now)
    return done


def schedule_injects(uow: UnitOfWork, run: DrillRun, streams: list[str]) -> None:
    """Give a due time to each pending inject whose ``after`` is done and whose ``when``
    has held."""
    by_name = {i.name: i for i in run.injects}
    for inject in run.injects:
        if inject.status != "pending" or inject.due_offset is not None:
            continue
        definition = inject.definition
        after = by_name.get(str(definition.get("after") or ""))
        if after is not None and after.status not in DONE:
            continue
        base = (after.fired_offset or 0) if after is not None else 0
        if definition.get("when"):
            # A responder's action counts whenever in the run it happened.
            spec = CheckSpec.model_validate(definition["when"])
            event = first_match(uow, streams, spec, run.started_at)
            if event is None:
                continue
            base = max(base, offset_at(run, event.occurred_at))
        elif after is None:
            base = int(definition.get("at_minute") or 0) * 60
            inject.due_offset = base
            continue
        inject.due_offset = base + int(definition.get("delay_minutes") or 0) * 60


def _next_due(run: DrillRun, now: datetime) -> RunInject | None:
    elapsed = offset_at(run, now)
    due = [i for i in run.injects
           if i.status == "pending" and i.due_offset is not None and i.due_offset <= elapsed]  # fmt: skip
    return min(due, key=lambda i: (i.due_offset or 0, i.position)) if due else None


def evaluate_expectations(uow: UnitOfWork, actor: Actor, run: DrillRun, streams: list[str]) -> int:
    """Decide what the log shows of each automatic expectation; returns how many were
    decided. One missed for want of an event keeps being looked for, so the report can
    say how late it came."""
    by_name = {i.name: i for i in run.injects}
    elapsed = offset_at(run, uow.now)
    decided = 0
    for expectation in run.expectations:
        if expectation.check == "manual" or expectation.observed_offset is not None:
            continue
        since = _window(run, expectation, by_name)
        if since is None:
            continue
        spec = CheckSpec.model_validate({"check": expectation.check,
                                         "value": expectation.definition.get("value")})  # fmt: skip
        event = first_match(uow, streams, spec, since)
        deadline = expectation.deadline_offset or 0
        if event is not None:
            expectation.observed_offset = offset_at(run, event.occurred_at)
            expectation.event_id = event.id
            if expectation.status == "pending":
                status = "met" if expectation.observed_offset <= deadline else "missed"
                decided += _decide(uow, actor, run, expectation, status)
        elif expectation.status == "pending" and elapsed > deadline:
            decided += _decide(uow, actor, run, expectation, "missed")
    return decided


def _window(
    run: DrillRun, expectation: RunExpectation, injects: dict[str, RunInject]
) -> datetime | None:
    """When the expectation's window opened (its ``after`` inject fired, else the
    start); sets its offsets the first time. None while its inject has not fired."""
    after = injects.get(str(expectation.definition.get("after") or ""))
    if after is not None and (after.status not in DONE or after.fired_at is None):
        return None
    if expectation.start_offset is None:
        expectation.start_offset = (after.fired_offset or 0) if after is not None else 0
        within = int(expectation.definition.get("within_minutes") or 0)
        expectation.deadline_offset = expectation.start_offset + within * 60
    return after.fired_at if after is not None and after.fired_at else run.started_at


def _decide(
    uow: UnitOfWork, actor: Actor, run: DrillRun, expectation: RunExpectation, status: str
) -> int:
    expectation.status = status
    append_event(uow, actor, f"drill.expectation_{status}", subject_type="drill_run",
                 subject_id=run.id,
                 data={"expectation": expectation.name, "title": expectation.title,
                       "deadline_offset": expectation.deadline_offset,
                       "observed_offset": expectation.observed_offset})  # fmt: skip
    return 1


def _complete(run: DrillRun) -> bool:
    injects_done = all(i.status in DONE for i in run.injects)
    automatic = [e for e in run.expectations if e.check != "manual"]
    return injects_done and all(e.status != "pending" for e in automatic)


def _next_check(run: DrillRun, now: datetime) -> datetime:
    """The wall time of the next inject due or expectation deadline, at most RECHECK
    away."""
    offsets = [i.due_offset for i in run.injects
               if run.mode == "live" and i.status == "pending" and i.due_offset is not None]  # fmt: skip
    offsets += [e.deadline_offset + 1 for e in run.expectations
                if e.status == "pending" and e.deadline_offset is not None]  # fmt: skip
    times = [t for t in (wall_at(run, o) for o in offsets) if t is not None]
    return max(min([*times, now + RECHECK]), now)


def score_of(run: DrillRun) -> float | None:
    """Expectations met, 0-100 (partly counts half; ungraded manual ones left out)."""
    worth = {"met": 1.0, "partly": 0.5, "missed": 0.0}
    graded = [worth[e.status] for e in run.expectations if e.status in worth]
    return round(100 * sum(graded) / len(graded), 1) if graded else None


def end_run(uow: UnitOfWork, actor: Actor, run: DrillRun, reason: str) -> None:
    """End ``run`` now: automatic expectations still open are missed; the score is
    kept."""
    now = uow.now
    if run.status == "paused":
        end_pause(run, now)
    for expectation in run.expectations:
        if expectation.check != "manual" and expectation.status == "pending":
            _decide(uow, actor, run, expectation, "missed")
    run.status, run.ended_at, run.end_reason = "ended", now, reason
    run.next_check_at = None
    run.score = score_of(run)
    append_event(uow, actor, "drill.run_ended", subject_type="drill_run", subject_id=run.id,
                 data={"reason": reason, "score": run.score,
                       "offset": offset_at(run, now)})  # fmt: skip
