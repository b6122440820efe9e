"""The filtered event log as CSV or JSON lines, produced in chunks so an export of the
whole log never sits in memory; each chunk is read in a short read-only unit of work.

Exporting is itself recorded (``audit.exported``) by :func:`do_record_export`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from muster.db.uow import Database, UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.audit.query import AuditFilter, door, events_after, token_names
from muster.domain.audit.review import changes_of
from muster.domain.events.actor import Actor, Role
from muster.domain.events.models import Event
from muster.domain.events.service import append_event
from muster.errors import FieldError, InvalidInput

FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
COLUMNS = (
    "position", "id", "occurred_at", "type", "actor_type", "actor_id", "actor", "via", "door",
    "token_id", "token_name", "ip", "subject_type", "subject_id", "changes", "data",
)  # fmt: skip
CHUNK = 500


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidInput(
            "unknown export format", errors=[FieldError("format", "one of csv, jsonl")]
        )
    return fmt


def event_record(event: Event, tokens: dict[str, str]) -> dict[str, Any]:
    """One event as the audit exports and the forwarders carry it."""
    return {
        "position": event.position,
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "type": event.type,
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "actor": event.actor_label,
        "via": event.via,
        "door": door(event, tokens),
        "token_id": event.token_id,
        "token_name": tokens.get(event.token_id) if event.token_id else None,
        "ip": event.ip,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "changes": changes_of(event.data),
        "data": event.data,
    }


def _csv_line(record: dict[str, Any]) -> str:
    out = io.StringIO()
    row = [
        json.dumps(record[c], sort_keys=True, default=str)
        if isinstance(record[c], dict | list)
        else ("" if record[c] is None else record[c])
        for c in COLUMNS
    ]
    csv.writer(out).writerow(row)
    return out.getvalue()


def render(records: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "csv":
        return "".join(_csv_line(r) for r in records)
    return "".join(json.dumps(r, sort_keys=True, default=str) + "\n" for r in records)


def header(fmt: str) -> str:
    if fmt != "csv":
        return ""
    out = io.StringIO()
    csv.writer(out).writerow(COLUMNS)
    return out.getvalue()


def stream_export(db: Database, f: AuditFilter, fmt: str, *, through: int) -> Iterator[str]:
    """The events matching ``f`` up to position ``through`` (the log's end when the
    export began), oldest first, rendered as ``fmt`` in chunks.

    Precondition: the caller is an admin and ``f`` is checked."""
    yield header(fmt)
    after = 0
    while True:
        with db.unit_of_work(readonly=True) as uow:
            rows = [e for e in events_after(uow, f, after, CHUNK) if e.position <= through]
            tokens = token_names(uow, rows)
            records = [event_record(e, tokens) for e in rows]
        if not records:
            return
        yield render(records, fmt)
        after = int(records[-1]["position"])
        if len(records) < CHUNK:
            return


def do_record_export(uow: UnitOfWork, actor: Actor, f: AuditFilter, fmt: str) -> int:
    """Record that ``actor`` exported the log with filter ``f``; returns the log's end,
    the last position the export will include. Precondition: admin."""
    require(actor, Role.ADMIN)
    append_event(
        uow, actor, "audit.exported", subject_type="audit", subject_id="log",
        data={"format": fmt, "filter": f.params()},
    )  # fmt: skip
    uow.flush()
    return int(uow.session.scalar(select(func.max(Event.position))) or 0)
