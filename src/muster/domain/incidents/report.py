"""One incident, whole, as a report: an assembly of sections, each made by a small
function, in one JSON-ready dict that the JSON export, the HTML report, its PDF and the
CLI all show.

``{"format_version", "incident", "timeline", "tasks", "updates", "participants", "roles",
"compliance", "evidence", "investigation", "exported_at", "exported_by"}``: every time is
RFC 3339 in UTC. The record sections (compliance, evidence, investigation) come from
:mod:`muster.domain.incidents.report_records`, which reads them through their own
packages.

Reading goes through :func:`~muster.domain.incidents.visibility.get_visible_incident`:
a restricted incident exists only for those allowed to see it. Each export is an event,
``incident.exported`` {format, sections} (:func:`do_record_export`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any, Literal, TypeVar, get_args

from pydantic_core import to_jsonable_python
from sqlalchemy import select

from muster.clock import isoformat
from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident, Participant, RoleAssignment, StatusUpdate
from muster.domain.incidents.record import record
from muster.domain.incidents.report_records import (
    compliance_section,
    evidence_section,
    investigation_section,
)
from muster.domain.incidents.roles import role_history
from muster.domain.incidents.tasks import list_tasks, task_out
from muster.domain.incidents.timeline import MAX_LIMIT, TimelineEntry, timeline_page
from muster.domain.incidents.updates import update_out
from muster.domain.incidents.views import incident_out
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import FieldError, InvalidInput

FORMAT_VERSION = 1
ExportFormat = Literal["json", "html", "pdf"]
FORMATS: tuple[str, ...] = get_args(ExportFormat)
Section = Callable[[UnitOfWork, Actor, Incident], Any]
T = TypeVar("T")


def full_timeline(uow: UnitOfWork, actor: Actor, incident_id: str) -> list[TimelineEntry]:
    """Every entry of the incident's timeline, oldest first (all its pages)."""
    pages: list[list[TimelineEntry]] = []
    before: int | None = None
    while True:
        page = timeline_page(uow, actor, incident_id, limit=MAX_LIMIT, before=before)
        pages.append(page.entries)
        if page.older is None:
            break
        before = page.older
    return [e for entries in reversed(pages) for e in entries]


def _opt_time(value: Any) -> str | None:
    return isoformat(value) if value is not None else None


def incident_section(uow: UnitOfWork, _actor: Actor, incident: Incident) -> dict[str, Any]:
    out: dict[str, Any] = incident_out(uow, incident).model_dump(mode="json")
    return out


def timeline_section(uow: UnitOfWork, actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    """The whole timeline as the actor may see it (merged-in restricted incidents they
    may not see stay out), oldest first."""
    entries: list[dict[str, Any]] = [
        to_jsonable_python(asdict(e)) for e in full_timeline(uow, actor, incident.id)
    ]
    return entries


def tasks_section(uow: UnitOfWork, _actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    return [task_out(t, uow.now).model_dump(mode="json") for t in list_tasks(uow, incident.id)]


def updates_section(uow: UnitOfWork, _actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    """Every status update, internal ones too, oldest first."""
    rows = uow.session.scalars(
        select(StatusUpdate)
        .where(StatusUpdate.incident_id == incident.id)
        .order_by(StatusUpdate.posted_at, StatusUpdate.id)
    )
    return [update_out(u).model_dump(mode="json") for u in rows]


def participants_section(
    uow: UnitOfWork, _actor: Actor, incident: Incident
) -> list[dict[str, Any]]:
    """Every participant's stints (joined, left), oldest first."""
    stints = uow.session.scalars(
        select(Participant)
        .where(Participant.incident_id == incident.id)
        .order_by(Participant.joined_at, Participant.id)
    )
    return [
        {
            "user_id": p.user_id,
            "user_name": p.user.name,
            "joined_at": isoformat(p.joined_at),
            "left_at": _opt_time(p.left_at),
            "added_by": p.added_by,
        }
        for p in stints
    ]


def _assignment(a: RoleAssignment) -> dict[str, Any]:
    return {
        "role": a.role_type.key,
        "role_name": a.role_type.name,
        "user_id": a.user_id,
        "user_name": a.user.name,
        "started_at": isoformat(a.started_at),
        "ended_at": _opt_time(a.ended_at),
        "assigned_by": a.assigned_by,
        "ended_by": a.ended_by,
    }


def roles_section(uow: UnitOfWork, _actor: Actor, incident: Incident) -> list[dict[str, Any]]:
    """The role history: who held which role, from when to when, oldest first."""
    return [_assignment(a) for a in role_history(uow, incident.id)]


SECTIONS: dict[str, Section] = {
    "incident": incident_section,
    "timeline": timeline_section,
    "tasks": tasks_section,
    "updates": updates_section,
    "participants": participants_section,
    "roles": roles_section,
    "compliance": compliance_section,
    "evidence": evidence_section,
    "investigation": investigation_section,
}


def build_report(uow: UnitOfWork, actor: Actor, incident_id: str) -> dict[str, Any]:
    """The incident as one JSON-ready dict, every section in :data:`SECTIONS` order.
    Reads only (the export event is :func:`do_record_export`).

    Preconditions: viewer role; the incident visible to ``actor`` (NotFound otherwise)."""
    require(actor, Role.VIEWER)
    incident = get_visible_incident(uow, actor, incident_id)
    report: dict[str, Any] = {"format_version": FORMAT_VERSION}
    for name, section in SECTIONS.items():
        report[name] = section(uow, actor, incident)
    report["exported_at"] = isoformat(uow.now)
    report["exported_by"] = {"id": actor.id, "label": actor.label, "kind": actor.kind}
    return report


def sections_of(report: dict[str, Any]) -> list[str]:
    """The section names a report holds (what an export event says was exported)."""
    return [name for name in SECTIONS if name in report]


def do_record_export(
    uow: UnitOfWork, actor: Actor, incident_id: str, fmt: str, sections: list[str]
) -> None:
    """Append ``incident.exported`` {format, sections} to the incident's timeline.

    Preconditions: viewer role; the incident visible to ``actor``; ``fmt`` one of
    :data:`FORMATS`."""
    require(actor, Role.VIEWER)
    incident = get_visible_incident(uow, actor, incident_id)
    if fmt not in FORMATS:
        raise InvalidInput("bad format", errors=[FieldError("format", f"one of {FORMATS}")])
    record(uow, actor, incident, "incident.exported", format=fmt, sections=sections)


def export_report(
    db: Database,
    actor: Actor,
    incident_id: str,
    fmt: str,
    render: Callable[[dict[str, Any]], T],
) -> T:
    """Build the report (a read-only unit of work), ``render`` it (as JSON, HTML, PDF:
    no transaction is held meanwhile), then record the export as an event and commit.
    A failed build or render records nothing.

    Preconditions: as :func:`build_report` and :func:`do_record_export`."""
    with db.unit_of_work(readonly=True) as uow:
        report = build_report(uow, actor, incident_id)
    out = render(report)
    with db.unit_of_work() as uow:
        do_record_export(uow, actor, incident_id, fmt, sections_of(report))
        uow.commit()
    return out


def json_chunks(report: dict[str, Any]) -> Iterator[str]:
    """``report`` as JSON text, a top-level key at a time and long lists an item at a
    time (a large timeline is never one string)."""
    yield "{"
    for n, (key, value) in enumerate(report.items()):
        head = ("," if n else "") + "\n" + json.dumps(key) + ": "
        if isinstance(value, list) and value:
            yield head + "["
            for i, item in enumerate(value):
                yield ("," if i else "") + "\n  " + json.dumps(item, ensure_ascii=False)
            yield "\n]"
        else:
            yield head + json.dumps(value, ensure_ascii=False)
    yield "\n}\n"
