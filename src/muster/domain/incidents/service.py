"""Declaring incidents, changing their fields, and reading them.

Responders declare and change incidents; viewers read them. Every read goes through
:mod:`muster.domain.incidents.visibility`, so a restricted incident stays out of sight.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from muster.db.pagination import Page, decode_cursor, encode_cursor
from muster.db.uow import UnitOfWork
from muster.domain.accounts.models import User
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.exercises.tagging import check_joins, incident_run_for
from muster.domain.incidents.lifecycle import OPEN_STATUSES, ordering_problem, times_of
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.models import (
    Incident,
    IncidentService,
    IncidentType,
    RoleAssignment,
    SeverityLevel,
)
from muster.domain.incidents.participants import add_participant
from muster.domain.incidents.record import record
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.schemas import IncidentCreate, IncidentUpdate
from muster.domain.incidents.visibility import (
    get_visible_incident,
    sees_all_restricted,
    visible_clause,
)
from muster.domain.oncall.service import check_users_active
from muster.domain.sites.placement import place_incident_from_alerts, set_incident_site
from muster.domain.sites.service import sites_named
from muster.errors import FieldError, InvalidInput, NotFound

MAX_PAGE = 200


def reference(incident: Incident) -> str:
    return f"INC-{incident.number}"


def check_type(uow: UnitOfWork, key: str, *, field: str = "type") -> IncidentType:
    row = uow.session.scalar(select(IncidentType).where(IncidentType.key == key))
    if row is None or row.archived_at is not None:
        raise InvalidInput("unknown incident type", errors=[FieldError(field, f"no type {key!r}")])
    return row


def check_services(uow: UnitOfWork, ids: Sequence[str], *, field: str = "service_ids") -> None:
    wanted = set(ids)
    found = set(
        uow.session.scalars(
            select(Service.id).where(Service.id.in_(wanted), Service.archived_at.is_(None))
        )
    )
    bad = [i for i, sid in enumerate(ids) if sid not in found]
    if bad:
        raise InvalidInput(
            "unknown services",
            errors=[FieldError(f"{field}.{i}", "no active service has this id") for i in bad],
        )


def check_user(uow: UnitOfWork, user_id: str, *, field: str) -> User:
    """The active person ``user_id``; :class:`InvalidInput` naming ``field`` otherwise."""
    return check_users_active(uow, [(field, user_id)])[user_id]


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def do_declare_incident(uow: UnitOfWork, actor: Actor, data: IncidentCreate) -> Incident:
    """Declare an incident in triage; the declarer joins it, the commander (if named) is
    assigned, and alert groups (if named) are linked. It is exercise (marked with the
    drill run) when its services or alert groups are (muster.domain.exercises.tagging).

    Preconditions: responder role; the type, services, commander and groups exist; a
    detected-at time is not in the future."""
    require(actor, Role.RESPONDER)
    kind = check_type(uow, data.type)
    services = _unique(data.service_ids)
    check_services(uow, services)
    # Exercise when its services or alert groups are (mixing is refused: 409).
    run_id = incident_run_for(uow, services, _unique(data.group_ids))
    now = uow.now
    detected = data.detected_at or now
    if detected.tzinfo is None:
        raise InvalidInput(
            "bad time", errors=[FieldError("detected_at", "give a time zone (e.g. Z)")]
        )
    if detected > now:
        raise InvalidInput(
            "bad time", errors=[FieldError("detected_at", "cannot be in the future")]
        )
    if data.commander_id:
        check_user(uow, data.commander_id, field="commander_id")
    number = (uow.session.scalar(select(func.max(Incident.number))) or 0) + 1
    restricted = kind.restricted_by_default if data.restricted is None else data.restricted
    incident = Incident(
        number=number, title=data.title, summary=data.summary, type_key=kind.key,
        severity=data.severity, status="triage", impact=data.impact,
        customer_facing=data.customer_facing, restricted=restricted,
        tags=_unique(data.tags), sites=_unique(data.sites), detected_at=detected,
        declared_at=now, declared_by=actor.label, updated_at=now, exercise_run_id=run_id,
    )  # fmt: skip
    incident.services = [IncidentService(service_id=s) for s in services]
    uow.session.add(incident)
    uow.flush()
    schedule_next_update(uow, incident)
    record(
        uow, actor, incident, "incident.declared",
        number=number, title=incident.title, type=kind.key, severity=incident.severity,
        service_ids=services, sites=incident.sites, tags=incident.tags,
        customer_facing=incident.customer_facing, detected_at=detected,
        **({"exercise_run_id": run_id} if run_id else {}),
    )  # fmt: skip
    if actor.id is not None:
        add_participant(uow, actor, incident, actor.id, page=False)
    if data.commander_id:
        do_assign_role(uow, actor, incident.id, "commander", data.commander_id)
    if data.group_ids:
        do_link_alert_groups(uow, actor, incident.id, data.group_ids)
        place_incident_from_alerts(uow, actor, incident)
    return incident


_PLAIN_FIELDS = ("title", "summary", "impact", "customer_facing")


def do_update_incident(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: IncidentUpdate
) -> Incident:
    """Change the given fields; one ``incident.updated`` event lists every change.

    Preconditions: responder role and the incident visible; changing ``restricted``
    needs a manager, a security-team member or an admin; ``site_id`` (given: set, null:
    cleared) names a site, and its change is recorded apart (``incident.site_set``)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if "site_id" in data.model_fields_set:
        set_incident_site(uow, actor, incident, data.site_id)
    changes: dict[str, Any] = {}
    for name in _PLAIN_FIELDS:
        value = getattr(data, name)
        if value is not None and value != getattr(incident, name):
            changes[name] = {"from": getattr(incident, name), "to": value}
            setattr(incident, name, value)
    if data.type is not None and data.type != incident.type_key:
        check_type(uow, data.type)
        changes["type"] = {"from": incident.type_key, "to": data.type}
        incident.type_key = data.type
    if data.severity is not None and data.severity != incident.severity:
        changes["severity"] = {"from": incident.severity, "to": data.severity}
        incident.severity = data.severity
    for name in ("tags", "sites"):
        value = getattr(data, name)
        if value is not None and _unique(value) != getattr(incident, name):
            changes[name] = {"from": getattr(incident, name), "to": _unique(value)}
            setattr(incident, name, _unique(value))
    if data.service_ids is not None:
        wanted = _unique(data.service_ids)
        current = [s.service_id for s in incident.services]
        if set(wanted) != set(current):
            check_services(uow, wanted)
            check_joins(uow, incident.exercise_run_id, wanted)  # 409 when mixing
            changes["service_ids"] = {"from": current, "to": wanted}
            keep = [s for s in incident.services if s.service_id in wanted]
            incident.services = keep + [
                IncidentService(service_id=s) for s in wanted if s not in current
            ]
    if data.restricted is not None and data.restricted != incident.restricted:
        if actor.role < Role.MANAGER and not sees_all_restricted(uow, actor):
            raise InvalidInput(
                "not allowed",
                errors=[FieldError("restricted", "only managers and the security team may change this")],
            )  # fmt: skip
        changes["restricted"] = {"from": incident.restricted, "to": data.restricted}
        incident.restricted = data.restricted
    if not changes:
        return incident
    incident.updated_at = uow.now
    if "severity" in changes:
        schedule_next_update(uow, incident)
    record(uow, actor, incident, "incident.updated", changes=changes)
    return incident


def schedule_next_update(uow: UnitOfWork, incident: Incident) -> None:
    """Recompute ``next_update_due_at`` by the severity's cadence, from the last update
    (or the declaration); none once the incident is no longer open (after an update, a
    transition, a severity change)."""
    level = uow.session.get(SeverityLevel, incident.severity)
    cadence = level.update_cadence_minutes if level else None
    if cadence is None or incident.status not in OPEN_STATUSES:
        incident.next_update_due_at = None
        return
    since = incident.last_update_at or incident.declared_at
    incident.next_update_due_at = since + timedelta(minutes=cadence)


def get_incident(uow: UnitOfWork, actor: Actor, incident_id: str) -> Incident:
    return get_visible_incident(uow, actor, incident_id)


def find_incident(uow: UnitOfWork, actor: Actor, ref: str) -> Incident:
    """By id, or by reference (``INC-12`` or ``12``); :class:`NotFound` otherwise."""
    text = ref.strip()
    number = text.upper().removeprefix("INC-")
    if number.isdigit():
        found = uow.session.scalar(select(Incident.id).where(Incident.number == int(number)))
        if found is None:
            raise NotFound("no such incident")
        text = found
    return get_visible_incident(uow, actor, text)


def severity_levels(uow: UnitOfWork) -> list[SeverityLevel]:
    return list(uow.session.scalars(select(SeverityLevel).order_by(SeverityLevel.level)))


def incident_types(uow: UnitOfWork, *, include_archived: bool = False) -> list[IncidentType]:
    query = select(IncidentType).order_by(IncidentType.builtin.desc(), IncidentType.name)
    if not include_archived:
        query = query.where(IncidentType.archived_at.is_(None))
    return list(uow.session.scalars(query))


@dataclass(frozen=True)
class IncidentFilter:
    status: Sequence[str] = ()
    severity: Sequence[int] = ()
    type: Sequence[str] = ()
    service_id: str | None = None
    site: str | None = None
    role_holder_id: str | None = None
    text: str | None = None
    tags: Sequence[str] = field(default_factory=tuple)


def _filtered(uow: UnitOfWork, actor: Actor, f: IncidentFilter) -> Any:
    query = select(Incident.id, Incident.declared_at).where(visible_clause(uow, actor))
    if f.status:
        query = query.where(Incident.status.in_(list(f.status)))
    if f.severity:
        query = query.where(Incident.severity.in_(list(f.severity)))
    if f.type:
        query = query.where(Incident.type_key.in_(list(f.type)))
    if f.service_id:
        query = query.where(
            select(IncidentService.incident_id)
            .where(
                IncidentService.incident_id == Incident.id,
                IncidentService.service_id == f.service_id,
            )
            .exists()
        )
    if f.role_holder_id:
        query = query.where(
            select(RoleAssignment.id)
            .where(
                RoleAssignment.incident_id == Incident.id,
                RoleAssignment.user_id == f.role_holder_id,
                RoleAssignment.ended_at.is_(None),
            )
            .exists()
        )
    if f.site:  # a site's id or name (muster.domain.sites), or a free-text site label
        query = query.where(or_(_json_contains(uow, Incident.sites, f.site),
                                Incident.site_id.in_(sites_named(f.site))))  # fmt: skip
    for tag in f.tags:
        query = query.where(_json_contains(uow, Incident.tags, tag))
    if f.text:
        escaped = f.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped.lower()}%"
        clauses: list[Any] = [
            func.lower(Incident.title).like(like, escape="\\"),
            func.lower(Incident.summary).like(like, escape="\\"),
        ]
        number = f.text.strip().upper().removeprefix("INC-")
        if number.isdigit():
            clauses.append(Incident.number == int(number))
        query = query.where(or_(*clauses))
    return query


def _json_contains(uow: UnitOfWork, column: Any, value: str) -> Any:
    """``value`` is one of the strings of the JSON list ``column``."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB
        from sqlalchemy.sql import cast

        return column.op("@>")(cast([value], JSONB))
    each = func.json_each(column).table_valued("value")
    return select(each.c.value).where(each.c.value == value).exists()


def list_incidents(
    uow: UnitOfWork, actor: Actor, f: IncidentFilter, *, cursor: str | None = None, limit: int = 50
) -> Page[Incident]:
    """Newest declared first, what ``actor`` may see."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(
            "limit out of range", errors=[FieldError("limit", f"must be 1 to {MAX_PAGE}")]
        )
    query = _filtered(uow, actor, f)
    if cursor:
        declared, incident_id = decode_cursor(cursor)
        try:
            at = datetime.fromisoformat(str(declared))
        except ValueError:
            raise InvalidInput(
                "bad cursor", errors=[FieldError("cursor", "not a cursor this API gave")]
            ) from None
        query = query.where(
            or_(
                Incident.declared_at < at,
                (Incident.declared_at == at) & (Incident.id < str(incident_id)),
            )
        )
    keys = uow.session.execute(
        query.order_by(Incident.declared_at.desc(), Incident.id.desc()).limit(limit + 1)
    ).all()
    ids = [k.id for k in keys[:limit]]
    rows = {i.id: i for i in uow.session.scalars(select(Incident).where(Incident.id.in_(ids)))}
    items = [rows[i] for i in ids]
    next_cursor = None
    if len(keys) > limit:
        last = keys[limit - 1]
        next_cursor = encode_cursor([last.declared_at.isoformat(), last.id])
    return Page(items=items, next_cursor=next_cursor)


def check_times(incident: Incident, now: datetime) -> None:
    """Raise :class:`InvalidInput` when the incident's timestamps break their order."""
    problem = ordering_problem(times_of(incident), now)
    if problem:
        raise InvalidInput("timestamps out of order", errors=[FieldError(problem[0], problem[1])])
