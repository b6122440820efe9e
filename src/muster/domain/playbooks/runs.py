"""Starting, cancelling and reading playbook runs.

A run is pinned to the playbook's current version when it starts; one step row per step
is created up front, ``pending``, and only the first is due (the engine takes the rest in
turn, see ``engine/modules/playbook_steps.py``). A playbook runs at most once per incident
unless it is repeatable, whatever started it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.lifecycle import FINAL
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.playbooks.models import RUN_ENDED, Playbook, PlaybookRun, RunStep
from muster.domain.playbooks.service import current_version, definition_of, get_playbook
from muster.errors import Conflict, FieldError, NotFound

UNFINISHED_STEPS = ("pending", "running", "waiting", "awaiting_approval")


def has_run(uow: UnitOfWork, playbook_id: str, incident_id: str) -> bool:
    """Whether the playbook has a run (of any status) on the incident."""
    found = uow.session.scalar(
        select(func.count())
        .select_from(PlaybookRun)
        .where(PlaybookRun.playbook_id == playbook_id, PlaybookRun.incident_id == incident_id)
    )
    return bool(found)


def do_start_run(
    uow: UnitOfWork,
    actor: Actor,
    playbook: Playbook,
    incident: Incident,
    *,
    trigger: str,
    event_id: str | None = None,
) -> PlaybookRun | None:
    """Start ``playbook`` (its current version) on ``incident``; None when it already ran
    there and is not repeatable. Preconditions (the caller's): the actor may act on the
    incident; the playbook is not archived; the incident is not closed, declined or merged.
    """
    _lock_incident(uow, incident)
    if not playbook.repeatable and has_run(uow, playbook.id, incident.id):
        return None
    version = current_version(uow, playbook)
    definition = definition_of(version)
    now = uow.now
    run = PlaybookRun(
        playbook_id=playbook.id,
        version_id=version.id,
        incident_id=incident.id,
        status="running",
        trigger=trigger[:200],
        trigger_event_id=event_id,
        started_at=now,
        started_by=actor.label,
        outputs={},
    )
    uow.session.add(run)
    uow.flush()
    for position, step in enumerate(definition.steps):
        uow.session.add(
            RunStep(
                run_id=run.id,
                position=position,
                name=step.name,
                kind=step.kind,
                definition=step.model_dump(mode="json", by_alias=True),
                status="pending",
                due_at=now if position == 0 else None,
                attempts=0,
                output={},
            )
        )
    uow.flush()
    record(
        uow, actor, incident, "incident.playbook_started",
        run_id=run.id, playbook_id=playbook.id, name=playbook.name, version=version.version,
        trigger=run.trigger,
    )  # fmt: skip
    return run


def _lock_incident(uow: UnitOfWork, incident: Incident) -> None:
    """Serialise starts on one incident, so two workers cannot both start a playbook that
    may run only once (SQLite writers are serial already)."""
    if uow.dialect == "postgresql":
        uow.session.execute(select(Incident.id).where(Incident.id == incident.id).with_for_update())


def check_can_start(playbook: Playbook, incident: Incident) -> None:
    if playbook.archived_at is not None:
        raise Conflict(
            "this playbook is archived",
            errors=[FieldError("playbook_id", "archived; apply it again to use it")],
        )
    if incident.status in FINAL:
        raise Conflict(
            f"the incident is {incident.status}",
            errors=[FieldError("incident_id", f"a {incident.status} incident runs no playbooks")],
        )


def do_run_manually(
    uow: UnitOfWork, actor: Actor, playbook_id: str, incident_id: str
) -> PlaybookRun:
    """Start a playbook on an incident by hand (a disabled playbook too: disabling stops
    automatic triggering only). Preconditions: responder role; the incident visible and
    not closed, declined or merged; the playbook not archived, and repeatable or not yet
    run on this incident."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    playbook = get_playbook(uow, playbook_id)
    check_can_start(playbook, incident)
    run = do_start_run(uow, actor, playbook, incident, trigger=f"manual ({actor.label})")
    if run is None:
        raise Conflict(
            "this playbook already ran on this incident",
            errors=[FieldError("playbook_id", "runs once per incident (it is not repeatable)")],
        )
    return run


def do_cancel_run(uow: UnitOfWork, actor: Actor, run_id: str) -> PlaybookRun:
    """Stop a run: its unfinished steps are cancelled and none is taken again. An action
    already sent is not recalled. Preconditions: responder role; the incident visible;
    the run not ended."""
    require(actor, Role.RESPONDER)
    run = get_run(uow, actor, run_id)
    if run.status in RUN_ENDED:
        raise Conflict(
            f"this run has ended ({run.status})",
            errors=[FieldError("run_id", f"already {run.status}")],
        )
    now = uow.now
    for step in run.steps:
        if step.status in UNFINISHED_STEPS:
            step.status = "cancelled"
            step.due_at = None
            step.ended_at = now
    run.status = "cancelled"
    run.ended_at = now
    incident = uow.session.get_one(Incident, run.incident_id)
    record(
        uow, actor, incident, "incident.playbook_finished",
        run_id=run.id, playbook_id=run.playbook_id, name=run.playbook.name,
        status="cancelled", error=None,
    )  # fmt: skip
    return run


# ---- queries --------------------------------------------------------------------------


def get_run(uow: UnitOfWork, actor: Actor, run_id: str) -> PlaybookRun:
    """The run, when its incident is visible to ``actor`` (NotFound otherwise)."""
    run = uow.session.get(PlaybookRun, run_id)
    if run is None:
        raise NotFound("no such playbook run")
    get_visible_incident(uow, actor, run.incident_id)
    return run


def runs_for_incident(uow: UnitOfWork, actor: Actor, incident_id: str) -> Sequence[PlaybookRun]:
    """The incident's runs, newest first (NotFound when the incident is hidden)."""
    get_visible_incident(uow, actor, incident_id)
    return uow.session.scalars(
        select(PlaybookRun)
        .where(PlaybookRun.incident_id == incident_id)
        .order_by(PlaybookRun.started_at.desc(), PlaybookRun.id.desc())
    ).all()


def steps_of(uow: UnitOfWork, run: PlaybookRun) -> Sequence[RunStep]:
    return uow.session.scalars(
        select(RunStep).where(RunStep.run_id == run.id).order_by(RunStep.position)
    ).all()
