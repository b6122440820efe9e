"""Merging a duplicate into the incident that survives, and splitting an alert group off
into an incident of its own.

Merging moves the duplicate's alert groups, people, open tasks and affected services to
the survivor and marks the duplicate ``merged``; its events stay on its own stream, which
the survivor's timeline reads (:mod:`muster.domain.incidents.timeline`), so both
timelines are kept. Splitting declares a new incident holding one alert group; both
incidents record ``incident.split`` naming each other.
"""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.alerts.models import AlertGroup
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.events.models import Event
from muster.domain.incidents.lifecycle import FINAL
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.models import (
    Incident,
    IncidentAlertGroup,
    IncidentService,
    RoleAssignment,
    Task,
)
from muster.domain.incidents.participants import active_participants, add_participant
from muster.domain.incidents.record import record, stream_of
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident, reference, schedule_next_update
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput

MAX_TITLE = 200


def check_merge(source: Incident, target: Incident) -> None:
    """Raise unless ``source`` may be merged into ``target``."""
    if source.id == target.id:
        raise InvalidInput(
            "cannot merge an incident into itself",
            errors=[FieldError("target_id", "the same incident as the one merged")],
        )
    if source.status == "merged":
        raise Conflict(
            "this incident was already merged",
            errors=[FieldError("source_id", "already merged into another incident")],
        )
    if target.status in FINAL:
        raise Conflict(
            f"cannot merge into an incident that is {target.status}",
            errors=[FieldError("target_id", f"{reference(target)} is {target.status}")],
        )
    if source.exercise_run_id != target.exercise_run_id:  # muster.domain.exercises
        raise Conflict(
            "cannot merge real and exercise incidents (or two drill runs)",
            errors=[FieldError("target_id", f"{reference(target)} is on the other side")],
        )


def _move_groups(uow: UnitOfWork, actor: Actor, source: Incident, target: Incident) -> list[str]:
    links = uow.session.scalars(
        select(IncidentAlertGroup).where(IncidentAlertGroup.incident_id == source.id)
    ).all()
    moved = []
    for link in links:
        group = uow.session.get_one(AlertGroup, link.group_id)
        link.incident_id = target.id
        link.linked_at, link.linked_by = uow.now, actor.label
        record(uow, actor, source, "incident.alert_group_unlinked", group_id=group.id,
               moved_to=target.id)  # fmt: skip
        record(
            uow, actor, target, "incident.alert_group_linked", group_id=group.id,
            summary=group.summary, severity=group.severity, service_id=group.service_id,
            moved_from=source.id,
        )  # fmt: skip
        moved.append(group.id)
    return moved


def _end_roles(uow: UnitOfWork, actor: Actor, source: Incident) -> None:
    held = uow.session.scalars(
        select(RoleAssignment).where(
            RoleAssignment.incident_id == source.id, RoleAssignment.ended_at.is_(None)
        )
    ).all()
    for assignment in held:
        assignment.ended_at, assignment.ended_by = uow.now, actor.label
        record(
            uow, actor, source, "incident.role_relinquished", role=assignment.role_type.key,
            role_name=assignment.role_type.name, user_id=assignment.user_id,
            reason="the incident was merged",
        )  # fmt: skip


def do_merge(uow: UnitOfWork, actor: Actor, source_id: str, target_id: str) -> Incident:
    """Merge ``source`` (a duplicate) into ``target``, which survives; returns the target.

    The survivor gains the source's alert groups, participants (not paged again), open
    tasks and affected services, and its timeline shows the source's events; the source
    becomes ``merged`` (``incident.merged`` on it, ``incident.absorbed`` on the
    survivor) and its roles end.

    Preconditions: responder role; both incidents visible to the actor (a restricted one
    the actor cannot see does not exist: :class:`NotFound`); not the same incident; the
    source not already merged; the target not merged, closed or declined."""
    require(actor, Role.RESPONDER)
    source = get_visible_incident(uow, actor, source_id)
    target = get_visible_incident(uow, actor, target_id)
    check_merge(source, target)
    now = uow.now
    groups = _move_groups(uow, actor, source, target)
    joined = []
    for person in active_participants(uow, source.id):
        if add_participant(uow, actor, target, person.user_id, page=False) is not None:
            joined.append(person.user_id)
    tasks = uow.session.scalars(
        select(Task).where(Task.incident_id == source.id, Task.status == "open")
    ).all()
    for task in tasks:
        task.incident_id = target.id
    current = {s.service_id for s in target.services}
    added = [
        s.service_id for s in source.services
        if s.service_id not in current and _active_service(uow, s.service_id)
    ]  # fmt: skip
    target.services += [IncidentService(service_id=s) for s in added]
    _end_roles(uow, actor, source)
    source.status, source.merged_at, source.merged_into_id = "merged", now, target.id
    source.updated_at = target.updated_at = now
    schedule_next_update(uow, source)
    record(
        uow, actor, source, "incident.merged", target_id=target.id, target_ref=reference(target),
        group_ids=groups, task_ids=[t.id for t in tasks],
    )  # fmt: skip
    record(
        uow, actor, target, "incident.absorbed", source_id=source.id,
        source_ref=reference(source), source_title=source.title, group_ids=groups,
        user_ids=joined, task_ids=[t.id for t in tasks], service_ids_added=added,
    )  # fmt: skip
    uow.flush()
    return target


def _active_service(uow: UnitOfWork, service_id: str) -> bool:
    service = uow.session.get(Service, service_id)
    return service is not None and service.archived_at is None


def do_split(
    uow: UnitOfWork, actor: Actor, incident_id: str, group_id: str, title: str
) -> Incident:
    """Move one alert group off ``incident_id`` into a new incident (same type, severity,
    customer-facing flag and restriction; the group's service affected; detected when the
    group was first seen). Returns the new incident; the actor takes part in it.

    Preconditions: responder role; the incident visible; the group linked to it; a title
    of 1 to 200 characters."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    clean_title = " ".join(title.split())
    if not clean_title or len(clean_title) > MAX_TITLE:
        raise InvalidInput(
            "bad title", errors=[FieldError("title", f"1 to {MAX_TITLE} characters")]
        )
    link = uow.session.get(IncidentAlertGroup, group_id)
    if link is None or link.incident_id != incident.id:
        raise InvalidInput(
            "not an alert group of this incident",
            errors=[FieldError("group_id", "not linked to this incident")],
        )
    group = uow.session.get_one(AlertGroup, group_id)
    uow.session.delete(link)
    uow.flush()
    services = [group.service_id] if _active_service(uow, group.service_id) else []
    source_ref = reference(incident)
    new = do_declare_incident(
        uow, actor,
        IncidentCreate(
            title=clean_title, summary=f"Split off from {source_ref}: {group.summary}"[:20_000],
            type=incident.type_key, severity=incident.severity, service_ids=services,
            customer_facing=incident.customer_facing, restricted=incident.restricted,
            detected_at=min(group.first_seen, uow.now),
        ),
    )  # fmt: skip
    do_link_alert_groups(uow, actor, new.id, [group_id])
    record(
        uow, actor, incident, "incident.alert_group_unlinked", group_id=group_id, moved_to=new.id
    )
    split = {
        "new_incident_id": new.id, "new_ref": reference(new), "group_id": group_id,
        "source_id": incident.id, "source_ref": source_ref, "summary": group.summary,
    }  # fmt: skip
    record(uow, actor, incident, "incident.split", **split)
    record(uow, actor, new, "incident.split", **split)
    incident.updated_at = uow.now
    return new


def split_from(uow: UnitOfWork, incident_id: str) -> str | None:
    """The incident ``incident_id`` was split off from, if it was (visibility not
    checked: check the returned id before showing it)."""
    event = uow.session.scalar(
        select(Event)
        .where(Event.stream == stream_of(incident_id), Event.type == "incident.split")
        .order_by(Event.seq)
        .limit(1)
    )
    if event is None or (event.data or {}).get("new_incident_id") != incident_id:
        return None
    source = event.data.get("source_id")
    return str(source) if source else None
