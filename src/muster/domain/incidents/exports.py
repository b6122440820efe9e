"""Exports of the incident list as rows (CSV or JSON). One incident, whole, is a report:
:mod:`muster.domain.incidents.report`.

The list is read through :func:`~muster.domain.incidents.service.list_incidents`, page by
page, so exactly what the actor may see in the list is what they may export (restricted
incidents included only for those allowed).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from muster.clock import isoformat
from muster.db.pagination import Page
from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import (
    Incident,
    IncidentRoleType,
    RoleAssignment,
    SeverityLevel,
)
from muster.domain.incidents.roles import COMMANDER
from muster.domain.incidents.service import IncidentFilter, list_incidents, reference

EXPORT_CAP = 100_000
BATCH = 200  # list_incidents' largest page
CSV_CHUNK_ROWS = 500
CSV_COLUMNS = (
    "reference", "id", "title", "type", "severity", "status", "declared_at", "detected_at",
    "resolved_at", "closed_at", "services", "commander", "customer_facing", "restricted", "tags",
    "exercise",
)  # fmt: skip
# A cell starting with one of these is a formula to a spreadsheet (tab and CR too: some
# spreadsheets drop them and read what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    """One incident as the list export shows it."""

    reference: str
    id: str
    title: str
    type: str
    severity: int
    severity_name: str
    status: str
    declared_at: datetime
    detected_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    services: tuple[str, ...]
    commander: str | None
    customer_facing: bool
    restricted: bool
    tags: tuple[str, ...]
    exercise: bool = False  # made by a drill run (muster.domain.exercises)

    def cells(self) -> list[str]:
        """The CSV cells, in :data:`CSV_COLUMNS` order (not yet neutralised)."""
        return [
            self.reference, self.id, self.title, self.type, self.severity_name, self.status,
            _time(self.declared_at), _time(self.detected_at), _time(self.resolved_at),
            _time(self.closed_at), "; ".join(self.services), self.commander or "",
            _flag(self.customer_facing), _flag(self.restricted), "; ".join(self.tags),
            _flag(self.exercise),
        ]  # fmt: skip

    def record(self) -> dict[str, Any]:
        """The JSON record (lists as lists, times as RFC 3339 UTC)."""
        out: dict[str, Any] = asdict(self)
        for name in ("declared_at", "detected_at", "resolved_at", "closed_at"):
            out[name] = _time(out[name]) or None
        out["services"] = list(self.services)
        out["tags"] = list(self.tags)
        return out


def _time(value: datetime | None) -> str:
    return isoformat(value) if value is not None else ""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a ``'``."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def export_rows(uow: UnitOfWork, incidents: Sequence[Incident]) -> list[ExportRow]:
    """``incidents`` as rows (their services and commanders looked up together)."""
    ids = [i.id for i in incidents]
    service_ids = {s.service_id for i in incidents for s in i.services}
    found = uow.session.execute(select(Service.id, Service.name).where(Service.id.in_(service_ids)))
    names = {r.id: r.name for r in found}
    levels = {lv.level: lv.name for lv in uow.session.scalars(select(SeverityLevel))}
    commanders: dict[str, str] = {}
    if ids:
        held = uow.session.scalars(
            select(RoleAssignment)
            .join(IncidentRoleType, IncidentRoleType.id == RoleAssignment.role_type_id)
            .where(
                RoleAssignment.incident_id.in_(ids),
                RoleAssignment.ended_at.is_(None),
                IncidentRoleType.key == COMMANDER,
            )
        )
        commanders = {a.incident_id: a.user.name for a in held}
    return [
        ExportRow(
            reference=reference(i),
            id=i.id,
            title=i.title,
            type=i.type_key,
            severity=i.severity,
            severity_name=levels.get(i.severity, f"SEV{i.severity}"),
            status=i.status,
            declared_at=i.declared_at,
            detected_at=i.detected_at,
            resolved_at=i.resolved_at,
            closed_at=i.closed_at,
            services=tuple(sorted(names.get(s.service_id, s.service_id) for s in i.services)),
            commander=commanders.get(i.id),
            customer_facing=i.customer_facing,
            restricted=i.restricted,
            tags=tuple(str(t) for t in i.tags),
            exercise=i.exercise_run_id is not None,
        )
        for i in incidents
    ]


class IncidentExport:
    """The incidents ``actor`` sees in the list with filter ``f``, newest declared first,
    at most ``cap`` of them, read in batches (each in its own short read-only unit of
    work, so a slow download holds no transaction open).

    The first batch is read when the export is made: a bad filter raises there, before
    anything is sent. Iterate it once; afterwards ``truncated`` says whether more
    incidents matched than ``cap``."""

    def __init__(
        self,
        db: Database,
        actor: Actor,
        f: IncidentFilter,
        *,
        cap: int = EXPORT_CAP,
        batch: int = BATCH,
    ) -> None:
        require(actor, Role.VIEWER)
        self._db, self._actor, self._filter = db, actor, f
        self.cap, self._batch = max(cap, 1), min(max(batch, 1), BATCH)
        self.truncated = False
        self._first = self._read(None, min(self._batch, self.cap))

    def _read(self, cursor: str | None, limit: int) -> Page[ExportRow]:
        with self._db.unit_of_work(readonly=True) as uow:
            page = list_incidents(uow, self._actor, self._filter, cursor=cursor, limit=limit)
            return Page(items=export_rows(uow, page.items), next_cursor=page.next_cursor)

    def __iter__(self) -> Iterator[ExportRow]:
        page, count = self._first, 0
        while True:
            yield from page.items
            count += len(page.items)
            if page.next_cursor is None:
                return
            if count >= self.cap:
                self.truncated = True
                return
            page = self._read(page.next_cursor, min(self._batch, self.cap - count))


def csv_chunks(rows: Iterable[ExportRow], *, chunk_rows: int = CSV_CHUNK_ROWS) -> Iterator[str]:
    """A header line, then the rows as CSV text a few hundred at a time (every cell
    neutralised against formula injection)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    pending = 0
    for row in rows:
        writer.writerow([neutralise(c) for c in row.cells()])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()


def json_chunks(export: IncidentExport) -> Iterator[str]:
    """``{"items": [...], "truncated": bool, "limit": cap}`` as text, a record at a time."""
    yield '{"items": ['
    for n, row in enumerate(export):
        yield ("," if n else "") + "\n" + json.dumps(row.record(), ensure_ascii=False)
    yield f'\n], "truncated": {json.dumps(export.truncated)}, "limit": {export.cap}}}\n'
