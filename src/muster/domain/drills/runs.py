"""Commands on drill runs: start, pause, resume, fire or skip an inject, grade a manual
expectation, keep notes, end early.

Starting needs a manager (it creates the run's exercise service and integrations, see
:mod:`muster.domain.exercises.setup`). The run's controls are the facilitator's, or a
manager's. Every command records a ``drill.*`` event on the run (subject ``drill_run``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import Team
from muster.domain.accounts.permissions import require
from muster.domain.drills.drill_time import end_pause, offset_at, start_pause
from muster.domain.drills.exercise_site import do_create_exercise_site
from muster.domain.drills.fire import fire_inject
from muster.domain.drills.intake import integration_config
from muster.domain.drills.models import DrillRun, RunExpectation, RunInject
from muster.domain.drills.progress import end_run, score_of, tick
from muster.domain.drills.scenarios import current_version, definition_of, get_scenario
from muster.domain.drills.schemas import ScenarioDef
from muster.domain.events.actor import Actor, Role
from muster.domain.events.service import append_event
from muster.domain.exercises.setup import exercise_integration, exercise_service
from muster.domain.incidents.service import check_user
from muster.errors import Conflict, FieldError, InvalidInput, NotFound, PermissionDenied

GRADES = ("met", "partly", "missed")
MAX_NOTES = 20_000


def record_run_event(uow: UnitOfWork, actor: Actor, run: DrillRun, type_: str, **data: Any) -> None:
    append_event(uow, actor, type_, subject_type="drill_run", subject_id=run.id,
                 data={"title": run.title, **data})  # fmt: skip


def do_start_run(
    uow: UnitOfWork, actor: Actor, scenario_id: str, *, team_id: str, mode: str,
    facilitator_id: str, participants: dict[str, str],
) -> DrillRun:  # fmt: skip
    """Start a run of the scenario's current version. Preconditions: the actor is a
    manager; the scenario is not archived; the team is active; the facilitator and the
    participants are active people; each participant's role is one of the scenario's.
    A live run's exercise service pages the participants; a tabletop run's pages nobody.
    A scenario with physical injects gets an exercise site of the run's own
    (:mod:`muster.domain.drills.exercise_site`)."""
    require(actor, Role.MANAGER)
    if mode not in ("live", "tabletop"):
        raise InvalidInput("bad mode", errors=[FieldError("mode", "live or tabletop")])
    scenario = get_scenario(uow, scenario_id)
    if scenario.archived_at is not None:
        raise InvalidInput("archived scenario",
                           errors=[FieldError("scenario_id", "the scenario is archived")])  # fmt: skip
    team = uow.session.get(Team, team_id)
    if team is None or team.archived_at is not None:
        raise InvalidInput("no such team", errors=[FieldError("team_id", "no active team has this id")])  # fmt: skip
    version = current_version(uow, scenario)
    definition = definition_of(version)
    _check_people(uow, definition, facilitator_id, participants)
    run = DrillRun(
        scenario_id=scenario.id, version_id=version.id, team_id=team.id, title=scenario.title,
        mode=mode, status="running", facilitator_id=facilitator_id,
        participants=dict(participants), started_at=uow.now, started_by=actor.label,
        pauses=[], next_check_at=uow.now, notes="",
    )  # fmt: skip
    uow.session.add(run)
    uow.flush()
    people = list(participants.values()) if mode == "live" else []
    service = exercise_service(uow, actor, run.id, team_id=team.id, title=scenario.title,
                               participant_ids=people)  # fmt: skip
    run.service_id = service.id
    site = (do_create_exercise_site(uow, actor, run.id, scenario.title, definition.site)
            if definition.physical() else None)  # fmt: skip
    for format, preset in sorted(
        {(i.format, i.preset or "") for i in definition.injects if i.format}
    ):
        config = integration_config(
            format, preset=preset or None, site_id=site.id if site else None
        )
        name = f"{format} ({config['preset']})" if format == "access_control" else None
        exercise_integration(uow, actor, service, format, name=name, config=config)
    _add_rows(run, definition)
    uow.flush()
    record_run_event(uow, actor, run, "drill.run_started", scenario=scenario.key, version=version.version,
           mode=mode, team_id=team.id, facilitator_id=facilitator_id,
           participants=dict(participants), service_id=service.id,
           site_id=site.id if site else None)  # fmt: skip
    return run


def _check_people(
    uow: UnitOfWork, definition: ScenarioDef, facilitator_id: str, participants: dict[str, str]
) -> None:
    check_user(uow, facilitator_id, field="facilitator_id")
    roles = {r.key for r in definition.roles}
    for role, user_id in participants.items():
        if role not in roles:
            raise InvalidInput(
                f"the scenario has no role {role!r}",
                errors=[FieldError(f"participants.{role}", f"not a role of the scenario ({', '.join(sorted(roles))})")],
            )  # fmt: skip
        check_user(uow, user_id, field=f"participants.{role}")


def _add_rows(run: DrillRun, definition: ScenarioDef) -> None:
    for i, inject in enumerate(definition.injects):
        run.injects.append(RunInject(
            position=i, name=inject.name, kind=inject.kind,
            definition=inject.model_dump(mode="json", exclude_none=True), status="pending",
            output={},
        ))  # fmt: skip
    for i, expectation in enumerate(definition.expectations):
        run.expectations.append(RunExpectation(
            position=i, name=expectation.name, title=expectation.title,
            check=expectation.check, definition=expectation.model_dump(mode="json", exclude_none=True),
            status="pending", note="",
        ))  # fmt: skip


# ---- the facilitator's controls -------------------------------------------------------


def get_run(uow: UnitOfWork, run_id: str) -> DrillRun:
    run = uow.session.get(DrillRun, run_id)
    if run is None:
        raise NotFound("no such drill run")
    return run


def check_controls(actor: Actor, run: DrillRun) -> None:
    """The run's controls are its facilitator's, or a manager's."""
    if actor.id != run.facilitator_id and actor.role < Role.MANAGER:
        raise PermissionDenied("only the facilitator or a manager controls this drill")


def _controlled(uow: UnitOfWork, actor: Actor, run_id: str, *statuses: str) -> DrillRun:
    run = get_run(uow, run_id)
    check_controls(actor, run)
    if statuses and run.status not in statuses:
        raise Conflict(f"the run is {run.status}", errors=[FieldError("status", f"the run is {run.status}")])  # fmt: skip
    return run


def do_pause(uow: UnitOfWork, actor: Actor, run_id: str) -> DrillRun:
    """Stop drill time: nothing fires, no deadline passes. Precondition: running."""
    run = _controlled(uow, actor, run_id, "running")
    tick(uow, actor, run)  # what was due before the pause happens first
    if run.status != "running":
        return run
    start_pause(run, uow.now)
    run.status, run.next_check_at = "paused", None
    record_run_event(uow, actor, run, "drill.run_paused", offset=offset_at(run, uow.now))
    return run


def do_resume(uow: UnitOfWork, actor: Actor, run_id: str) -> DrillRun:
    """Drill time runs again from where it stood. Precondition: paused."""
    run = _controlled(uow, actor, run_id, "paused")
    end_pause(run, uow.now)
    run.status, run.next_check_at = "running", uow.now
    record_run_event(uow, actor, run, "drill.run_resumed", offset=offset_at(run, uow.now))
    return run


def _pending_inject(run: DrillRun, inject_id: str | None) -> RunInject:
    pending = [i for i in run.injects if i.status == "pending"]
    if inject_id is None:
        if not pending:
            raise Conflict("every inject has fired", errors=[FieldError("inject_id", "nothing left to fire")])  # fmt: skip
        return pending[0]
    found = next((i for i in run.injects if inject_id in (i.id, i.name)), None)
    if found is None:
        raise NotFound("the run has no such inject")
    if found.status != "pending":
        raise Conflict(f"inject {found.name} is {found.status}",
                       errors=[FieldError("inject_id", f"already {found.status}")])  # fmt: skip
    return found


def do_fire(uow: UnitOfWork, actor: Actor, run_id: str, inject_id: str | None = None) -> RunInject:
    """Fire an inject now (the next pending one when none is named): how a tabletop run
    advances, and a live run's "fire now". Precondition: the run is running."""
    run = _controlled(uow, actor, run_id, "running")
    inject = _pending_inject(run, inject_id)
    fire_inject(uow, actor, run, inject)
    tick(uow, actor, run)
    return inject


def do_skip(uow: UnitOfWork, actor: Actor, run_id: str, inject_id: str) -> RunInject:
    """Skip a pending inject: it never fires; injects after it go on as if it had.
    Precondition: the run is running or paused."""
    run = _controlled(uow, actor, run_id, "running", "paused")
    inject = _pending_inject(run, inject_id)
    inject.status = "skipped"
    inject.fired_at, inject.fired_offset = uow.now, offset_at(run, uow.now)
    record_run_event(
        uow, actor, run, "drill.inject_skipped", inject=inject.name, offset=inject.fired_offset
    )
    tick(uow, actor, run)
    return inject


def do_end(uow: UnitOfWork, actor: Actor, run_id: str) -> DrillRun:
    """End the run early. Precondition: running or paused."""
    run = _controlled(uow, actor, run_id, "running", "paused")
    end_run(uow, actor, run, "ended_early")
    return run


def do_grade(
    uow: UnitOfWork, actor: Actor, run_id: str, expectation_id: str, grade: str, note: str = ""
) -> RunExpectation:
    """Grade a manual expectation met / partly / missed, with a note (again to change it).
    Precondition: the expectation is manual."""
    run = _controlled(uow, actor, run_id)
    if grade not in GRADES:
        raise InvalidInput("bad grade", errors=[FieldError("grade", "met, partly or missed")])
    if len(note) > 4000:
        raise InvalidInput("note too long", errors=[FieldError("note", "at most 4000 characters")])
    expectation = next((e for e in run.expectations if expectation_id in (e.id, e.name)), None)
    if expectation is None:
        raise NotFound("the run has no such expectation")
    if expectation.check != "manual":
        raise Conflict("automatic expectations are decided from the event log",
                       errors=[FieldError("expectation_id", "not a manual expectation")])  # fmt: skip
    expectation.status, expectation.note, expectation.graded_by = grade, note.strip(), actor.label
    expectation.observed_offset = None
    if run.status == "ended":
        run.score = score_of(run)
    record_run_event(uow, actor, run, "drill.expectation_graded", expectation=expectation.name,
           grade=grade, note=expectation.note)  # fmt: skip
    return expectation


def do_save_notes(uow: UnitOfWork, actor: Actor, run_id: str, notes: str) -> DrillRun:
    """Replace the facilitator's notes pad."""
    run = _controlled(uow, actor, run_id)
    if len(notes) > MAX_NOTES:
        raise InvalidInput("notes too long", errors=[FieldError("notes", f"at most {MAX_NOTES} characters")])  # fmt: skip
    if notes != run.notes:
        run.notes = notes
        record_run_event(uow, actor, run, "drill.notes_saved", length=len(notes))
    return run


def list_runs(uow: UnitOfWork, *, team_id: str | None = None, limit: int = 200) -> list[DrillRun]:
    """Runs, newest first (one team's when ``team_id``)."""
    query = select(DrillRun).order_by(DrillRun.started_at.desc(), DrillRun.id.desc()).limit(limit)
    if team_id:
        query = query.where(DrillRun.team_id == team_id)
    return list(uow.session.scalars(query))
