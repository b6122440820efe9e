"""An incident's tasks: title, owner, due time, status and phase; created by hand (or by
playbooks later), changed, completed. An open task past its due time is overdue: pages
highlight it and the engine reminds its owner once per due time
(:mod:`muster.engine.modules.incident_tasks`).

A task's owner takes part in the incident (so a restricted incident is visible to them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.lifecycle import FINAL, PHASES
from muster.domain.incidents.models import Incident, Task
from muster.domain.incidents.participants import add_participant
from muster.domain.incidents.record import record
from muster.domain.incidents.service import check_user
from muster.domain.incidents.task_schemas import TaskIn, TaskOut, TaskUpdate
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

OPEN = "open"
FINISHED = ("done", "cancelled")


def is_overdue(task: Task, now: datetime) -> bool:
    return task.status == OPEN and task.due_at is not None and task.due_at <= now


def task_out(task: Task, now: datetime) -> TaskOut:
    return TaskOut(
        id=task.id, incident_id=task.incident_id, title=task.title,
        description=task.description, owner_id=task.owner_id,
        owner_name=task.owner.name if task.owner else None, due_at=task.due_at,
        status=task.status, phase=task.phase, source=task.source, created_at=task.created_at,
        created_by=task.created_by, completed_at=task.completed_at,
        overdue=is_overdue(task, now),
    )  # fmt: skip


def list_tasks(uow: UnitOfWork, incident_id: str) -> Sequence[Task]:
    """The incident's tasks: open ones first (soonest due first, undated last), then
    the finished ones. The caller has checked the incident is visible."""
    return uow.session.scalars(
        select(Task)
        .where(Task.incident_id == incident_id)
        .order_by(
            case((Task.status == OPEN, 0), else_=1),
            case((Task.due_at.is_(None), 1), else_=0),
            Task.due_at,
            Task.created_at,
            Task.id,
        )
    ).all()


def overdue_tasks(
    uow: UnitOfWork, now: datetime, *, incident_id: str | None = None, limit: int = 200
) -> Sequence[Task]:
    """Open tasks due at or before ``now`` (of one incident, or of every incident not
    closed, declined or merged), the longest overdue first."""
    query = select(Task).where(Task.status == OPEN, Task.due_at <= now)
    if incident_id is not None:
        query = query.where(Task.incident_id == incident_id)
    else:
        query = query.where(
            Task.incident_id.in_(select(Incident.id).where(Incident.status.not_in(FINAL)))
        )
    return uow.session.scalars(query.order_by(Task.due_at, Task.id).limit(limit)).all()


def get_task(uow: UnitOfWork, actor: Actor, task_id: str) -> Task:
    """The task if ``actor`` may see its incident; :class:`NotFound` otherwise."""
    task = uow.session.get(Task, task_id)
    if task is None:
        raise NotFound("no such task")
    get_visible_incident(uow, actor, task.incident_id)
    return task


def _check_owner(uow: UnitOfWork, user_id: str) -> None:
    user = check_user(uow, user_id, field="owner_id")
    if Role.parse(user.role) < Role.RESPONDER:
        raise InvalidInput(
            "owner cannot act", errors=[FieldError("owner_id", "a viewer cannot own a task")]
        )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def do_create_task(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: TaskIn, *, source: str = "manual"
) -> Task:
    """Add a task to the incident; its owner (if any) joins the incident.

    Preconditions: responder role; the incident visible and not closed, declined or
    merged; the owner an active person who may act (not a viewer)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if incident.status in FINAL:
        raise Conflict(
            f"the incident is {incident.status}",
            errors=[FieldError("incident_id", f"no new tasks once {incident.status}")],
        )
    if data.owner_id is not None:
        _check_owner(uow, data.owner_id)
    phase = data.phase or (incident.status if incident.status in PHASES else None)
    task = Task(
        incident_id=incident.id, title=data.title, description=data.description,
        owner_id=data.owner_id, due_at=data.due_at, status=OPEN, phase=phase,
        source=source[:120], created_at=uow.now, created_by=actor.label,
    )  # fmt: skip
    uow.session.add(task)
    uow.flush()
    if data.owner_id is not None:
        add_participant(uow, actor, incident, data.owner_id, page=False)
    record(
        uow, actor, incident, "incident.task_created", task_id=task.id, title=task.title,
        owner_id=task.owner_id, due_at=_iso(task.due_at), phase=phase, source=task.source,
    )  # fmt: skip
    return task


def do_update_task(uow: UnitOfWork, actor: Actor, task_id: str, data: TaskUpdate) -> Task:
    """Change the given fields; one ``incident.task_updated`` event lists the changes.
    Marking a task done or cancelled stamps ``completed_at``; reopening clears it. A new
    owner joins the incident; a new owner or due time is reminded afresh.

    Preconditions: responder role; the task's incident visible; the owner as in
    :func:`do_create_task`; ``title`` and ``status`` not null."""
    require(actor, Role.RESPONDER)
    task = get_task(uow, actor, task_id)
    incident = uow.session.get_one(Incident, task.incident_id)
    given = data.model_fields_set
    for name in ("title", "status"):
        if name in given and getattr(data, name) is None:
            raise InvalidInput(f"{name} cannot be null", errors=[FieldError(name, "required")])
    changes: dict[str, Any] = {}

    def change(name: str, old: Any, new: Any) -> bool:
        if name not in given or old == new:
            return False
        plain = (_iso(old), _iso(new)) if name == "due_at" else (old, new)
        changes[name] = {"from": plain[0], "to": plain[1]}
        return True

    if data.owner_id is not None and change("owner_id", task.owner_id, data.owner_id):
        _check_owner(uow, data.owner_id)
    elif data.owner_id is None:
        change("owner_id", task.owner_id, None)
    for name in ("title", "description", "due_at", "phase"):
        change(name, getattr(task, name), getattr(data, name))
    change("status", task.status, data.status)
    if not changes:
        return task
    for name, diff in changes.items():
        setattr(task, name, getattr(data, name) if name == "due_at" else diff["to"])
    if "status" in changes:
        task.completed_at = uow.now if task.status in FINISHED else None
    if "owner_id" in changes or "due_at" in changes:
        task.reminded_at = None
    uow.flush()
    if "owner_id" in changes and task.owner_id is not None:
        add_participant(uow, actor, incident, task.owner_id, page=False)
    record(
        uow, actor, incident, "incident.task_updated", task_id=task.id, title=task.title,
        changes=changes,
    )  # fmt: skip
    return task
