"""A drill's report: the timeline, each expectation met or missed and by how much, phase
durations against the team's real incidents, the debrief answers, the action items, the
score — and the team's history of scores.

:func:`build_report` reads it live; :func:`do_keep_report` keeps a copy on the run (in
JSON), which is what the report shows once the run's exercise data is cleaned up.
"""

from __future__ import annotations

from datetime import datetime
from statistics import median
from typing import Any

from sqlalchemy import select

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.drills.checks import run_events, run_incident_ids
from muster.domain.drills.debrief import action_items, debriefs
from muster.domain.drills.drill_time import offset_at
from muster.domain.drills.models import DrillRun
from muster.domain.drills.runs import get_run, record_run_event
from muster.domain.events.actor import Actor, Role
from muster.domain.exercises.cleanup import do_cleanup_exercise
from muster.domain.incidents.models import Incident, IncidentService
from muster.domain.incidents.timeline_text import describe
from muster.errors import Conflict, FieldError

# phase name -> (from column, to column) of an incident
PHASES = {
    "detect_to_declare": ("detected_at", "declared_at"),
    "declare_to_commander": ("declared_at", "commander_engaged_at"),
    "declare_to_contain": ("declared_at", "contained_at"),
    "declare_to_resolve": ("declared_at", "resolved_at"),
}
REAL_SAMPLE = 200  # the team's most recent real incidents compared with


def _seconds(incident: Incident, phase: str) -> float | None:
    start: datetime | None = getattr(incident, PHASES[phase][0])
    end: datetime | None = getattr(incident, PHASES[phase][1])
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def phase_durations(uow: UnitOfWork, run: DrillRun) -> list[dict[str, Any]]:
    """Each phase's duration in the drill's incidents (the first one) and the median of
    the team's real incidents."""
    drill_ids = run_incident_ids(uow, run)
    drill = uow.session.get(Incident, drill_ids[0]) if drill_ids else None
    real = list(uow.session.scalars(
        select(Incident)
        .join(IncidentService, IncidentService.incident_id == Incident.id)
        .join(Service, Service.id == IncidentService.service_id)
        .where(Service.team_id == run.team_id, Incident.exercise_run_id.is_(None))
        .order_by(Incident.declared_at.desc())
        .limit(REAL_SAMPLE)
    ).unique())  # fmt: skip
    rows = []
    for phase in PHASES:
        values = [v for v in (_seconds(i, phase) for i in real) if v is not None]
        rows.append({
            "phase": phase,
            "drill_seconds": _seconds(drill, phase) if drill is not None else None,
            "real_median_seconds": median(values) if values else None,
            "real_count": len(values),
        })  # fmt: skip
    return rows


def _name(uow: UnitOfWork, user_id: str | None) -> str:
    user = uow.session.get(User, user_id) if user_id else None
    return user.name if user is not None else (user_id or "")


def build_report(uow: UnitOfWork, run: DrillRun) -> dict[str, Any]:
    """The report as of now (JSON-ready)."""
    timeline = [{
        "at": isoformat(e.occurred_at), "offset": offset_at(run, e.occurred_at), "type": e.type,
        "actor": e.actor_label, "text": _text(e.type, e.data or {}),
    } for e in run_events(uow, run)]  # fmt: skip
    expectations = []
    for e in run.expectations:
        margin = None
        if e.observed_offset is not None and e.deadline_offset is not None:
            margin = e.deadline_offset - e.observed_offset  # > 0: early by; < 0: late by
        expectations.append({
            "name": e.name, "title": e.title, "check": e.check, "status": e.status,
            "deadline_offset": e.deadline_offset, "observed_offset": e.observed_offset,
            "margin_seconds": margin, "note": e.note, "graded_by": e.graded_by,
        })  # fmt: skip
    return {
        "run_id": run.id, "title": run.title, "mode": run.mode, "status": run.status,
        "team_id": run.team_id, "facilitator": _name(uow, run.facilitator_id),
        "participants": {role: _name(uow, u) for role, u in run.participants.items()},
        "started_at": isoformat(run.started_at),
        "ended_at": isoformat(run.ended_at) if run.ended_at else None,
        "end_reason": run.end_reason, "score": run.score, "exercise": True,
        "injects": [{"name": i.name, "kind": i.kind, "status": i.status,
                     "fired_offset": i.fired_offset, "text": i.definition.get("text"),
                     "error": i.error} for i in run.injects],
        "expectations": expectations,
        "phases": phase_durations(uow, run),
        "timeline": timeline,
        "debriefs": [{"user": _name(uow, d.user_id), "went_well": d.went_well,
                      "went_badly": d.went_badly, "score": d.score} for d in debriefs(uow, run.id)],
        "action_items": [{"key": f"DA-{a.number}", "title": a.title, "status": a.status,
                          "owner": _name(uow, a.owner_id) if a.owner_id else None,
                          "due_on": a.due_on.isoformat() if a.due_on else None}
                         for a in action_items(uow, run.id)],
        "notes": run.notes,
    }  # fmt: skip


def _text(type_: str, data: dict[str, Any]) -> str:
    if type_.startswith("drill."):
        what = data.get("inject") or data.get("expectation") or data.get("reason") or ""
        return f"{type_.removeprefix('drill.').replace('_', ' ')}: {what}".rstrip(": ")
    return describe(type_, data, {})


def report_of(uow: UnitOfWork, run: DrillRun) -> dict[str, Any]:
    """The kept report (after cleanup, the only one), else the live one; the action items
    and debriefs are always current."""
    if run.report is None:
        return build_report(uow, run)
    kept = dict(run.report)
    live = build_report(uow, run) if run.cleaned_up_at is None else None
    kept["debriefs"] = (live or kept).get("debriefs", kept.get("debriefs"))
    kept["action_items"] = [{"key": f"DA-{a.number}", "title": a.title, "status": a.status,
                             "owner": _name(uow, a.owner_id) if a.owner_id else None,
                             "due_on": a.due_on.isoformat() if a.due_on else None}
                            for a in action_items(uow, run.id)]  # fmt: skip
    return kept


def do_keep_report(uow: UnitOfWork, actor: Actor, run_id: str) -> DrillRun:
    """Keep the report as it is now on the run. Preconditions: the run has ended; the
    actor is its facilitator or a manager."""
    run = get_run(uow, run_id)
    if actor.id != run.facilitator_id:
        require(actor, Role.MANAGER)
    if run.status != "ended":
        raise Conflict("the drill has not ended", errors=[FieldError("status", "end the drill first")])  # fmt: skip
    run.report = build_report(uow, run)
    run.report_kept_at = uow.now
    record_run_event(uow, actor, run, "drill.report_kept", score=run.score)
    return run


def do_cleanup_run(uow: UnitOfWork, actor: Actor, run_id: str) -> dict[str, int]:
    """Remove everything the run made (its exercise service, alerts, incidents...), in
    one action. Preconditions: manager; the report was kept; not cleaned up already."""
    require(actor, Role.MANAGER)
    run = get_run(uow, run_id)
    if run.report_kept_at is None:
        raise Conflict("keep the report first", errors=[FieldError("report", "the report has not been kept")])  # fmt: skip
    if run.cleaned_up_at is not None:
        raise Conflict("already cleaned up", errors=[FieldError("status", "already cleaned up")])  # fmt: skip
    counts = do_cleanup_exercise(uow, actor, run.id)
    run.cleaned_up_at = uow.now
    record_run_event(uow, actor, run, "drill.cleaned_up", counts=counts)
    return counts


def team_history(uow: UnitOfWork, team_id: str, *, limit: int = 100) -> list[dict[str, Any]]:
    """The team's ended runs, oldest first, with their scores (the trend)."""
    runs = uow.session.scalars(
        select(DrillRun)
        .where(DrillRun.team_id == team_id, DrillRun.status == "ended")
        .order_by(DrillRun.started_at.desc())
        .limit(limit)
    ).all()
    return [{"run_id": r.id, "title": r.title, "mode": r.mode, "score": r.score,
             "started_at": isoformat(r.started_at), "end_reason": r.end_reason}
            for r in reversed(runs)]  # fmt: skip


def when(value: datetime | None) -> str | None:
    return isoformat(value) if value else None
