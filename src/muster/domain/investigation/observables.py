"""Commands and queries on an incident's observables, and the search across incidents
("where else have we seen this IP?").

Values are normalised per kind (:mod:`muster.domain.investigation.kinds`), so the same
value is one row per incident whatever its spelling, and the search finds it
everywhere. Reads never show an incident the reader may not see.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_

from muster.db.pagination import Page, decode_cursor, encode_cursor
from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.service import reference
from muster.domain.incidents.visibility import get_visible_incident, visible_clause
from muster.domain.investigation.extract import Found
from muster.domain.investigation.kinds import KINDS, normalise
from muster.domain.investigation.models import Observable
from muster.domain.investigation.schemas import (
    ObservableIn,
    ObservableOut,
    ObservableUpdate,
    SightingOut,
)
from muster.errors import Conflict, FieldError, InvalidInput, NotFound

MAX_SEARCH = 200


def check_value(kind: str, value: str, *, field: str = "value") -> str:
    """``value`` normalised for ``kind``; :class:`InvalidInput` naming ``field``."""
    try:
        return normalise(kind, value)
    except ValueError as exc:
        raise InvalidInput(f"not a valid {kind}", errors=[FieldError(field, str(exc))]) from None


def list_observables(uow: UnitOfWork, actor: Actor, incident_id: str) -> Sequence[Observable]:
    """The incident's observables by kind, then as added.

    Precondition: the incident visible."""
    get_visible_incident(uow, actor, incident_id)
    return uow.session.scalars(
        select(Observable)
        .where(Observable.incident_id == incident_id)
        .order_by(Observable.kind, Observable.added_at, Observable.id)
    ).all()


def _find(uow: UnitOfWork, incident_id: str, kind: str, value: str) -> Observable | None:
    return uow.session.scalar(
        select(Observable).where(
            Observable.incident_id == incident_id,
            Observable.kind == kind,
            Observable.value == value,
        )
    )


def _insert(
    uow: UnitOfWork, actor: Actor, incident: Incident, kind: str, value: str, *,
    source: str, source_ref: str | None = None, first_seen: datetime | None = None,
    **fields: Any,
) -> Observable:  # fmt: skip
    row = Observable(
        incident_id=incident.id, kind=kind, value=value, source=source, source_ref=source_ref,
        first_seen=first_seen or uow.now, added_at=uow.now, added_by=actor.label,
        updated_at=uow.now, **fields,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    record(
        uow, actor, incident, "incident.observable_added",
        observable_id=row.id, kind=kind, value=value, source=source,
    )  # fmt: skip
    return row


def do_add_observable(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: ObservableIn
) -> Observable:
    """Add an observable by hand (``incident.observable_added``, source ``manual``).

    Preconditions: responder role; the incident visible; the value valid for its kind
    (:class:`InvalidInput` naming ``value``); not already on the incident
    (:class:`Conflict`); a first-seen time not in the future."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    value = check_value(data.kind, data.value)
    if data.first_seen is not None and data.first_seen > uow.now:
        raise InvalidInput("bad time", errors=[FieldError("first_seen", "in the future")])
    if _find(uow, incident.id, data.kind, value) is not None:
        raise Conflict(
            "this observable is already recorded",
            errors=[FieldError("value", f"{value} is already on this incident")],
        )
    return _insert(
        uow, actor, incident, data.kind, value, source="manual", first_seen=data.first_seen,
        tlp=data.tlp, ioc=data.ioc, sighted=data.sighted, tags=list(dict.fromkeys(data.tags)),
        description=data.description,
    )  # fmt: skip


def add_found(
    uow: UnitOfWork, actor: Actor, incident: Incident, found: Iterable[Found], *,
    source: str, source_ref: str | None,
) -> int:  # fmt: skip
    """Record extracted values not yet on the incident (idempotent); returns how many
    were new. Precondition: the values are normalised (as :mod:`extract` gives them)."""
    wanted = list(dict.fromkeys((f.kind, f.value) for f in found))
    if not wanted:
        return 0
    have = {
        (kind, value)
        for kind, value in uow.session.execute(
            select(Observable.kind, Observable.value).where(
                Observable.incident_id == incident.id,
                Observable.value.in_({value for _kind, value in wanted}),
            )
        )
    }
    added = 0
    for kind, value in wanted:
        if (kind, value) not in have:
            _insert(uow, actor, incident, kind, value, source=source, source_ref=source_ref)
            added += 1
    return added


def get_observable(
    uow: UnitOfWork, actor: Actor, incident_id: str, observable_id: str
) -> tuple[Observable, Incident]:
    """Precondition: the incident visible and the observable on it (:class:`NotFound`)."""
    incident = get_visible_incident(uow, actor, incident_id)
    row = uow.session.get(Observable, observable_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound("no such observable")
    return row, incident


def do_update_observable(
    uow: UnitOfWork, actor: Actor, incident_id: str, observable_id: str, data: ObservableUpdate
) -> Observable:
    """Change TLP, IOC, sighted, tags or description (``incident.observable_changed``
    lists the changes; nothing changed records nothing).

    Preconditions: responder role; the observable on a visible incident."""
    require(actor, Role.RESPONDER)
    row, incident = get_observable(uow, actor, incident_id, observable_id)
    changes: dict[str, Any] = {}
    for name, new in data.model_dump(exclude_none=True).items():
        if name == "tags":
            new = list(dict.fromkeys(new))
        old = getattr(row, name)
        if new != old:
            changes[name] = {"from": old, "to": new}
            setattr(row, name, new)
    if changes:
        row.updated_at = uow.now
        record(
            uow, actor, incident, "incident.observable_changed",
            observable_id=row.id, kind=row.kind, value=row.value, changes=changes,
        )  # fmt: skip
    return row


def do_remove_observable(
    uow: UnitOfWork, actor: Actor, incident_id: str, observable_id: str
) -> None:
    """Remove an observable (``incident.observable_removed`` keeps what it was).

    Preconditions: responder role; the observable on a visible incident."""
    require(actor, Role.RESPONDER)
    row, incident = get_observable(uow, actor, incident_id, observable_id)
    record(
        uow, actor, incident, "incident.observable_removed",
        observable_id=row.id, kind=row.kind, value=row.value, source=row.source,
    )  # fmt: skip
    uow.session.delete(row)
    uow.flush()


def seen_elsewhere(uow: UnitOfWork, actor: Actor, rows: Sequence[Observable]) -> dict[str, int]:
    """For each observable, in how many other incidents ``actor`` may see the same
    kind and value was recorded (by observable id; absent means none)."""
    if not rows:
        return {}
    counts = uow.session.execute(
        select(Observable.kind, Observable.value, Observable.incident_id)
        .join(Incident, Incident.id == Observable.incident_id)
        .where(Observable.value.in_({r.value for r in rows}), visible_clause(uow, actor))
    )
    incidents: dict[tuple[str, str], set[str]] = {}
    for kind, value, incident_id in counts:
        incidents.setdefault((kind, value), set()).add(incident_id)
    result = {}
    for r in rows:
        others = incidents.get((r.kind, r.value), set()) - {r.incident_id}
        if others:
            result[r.id] = len(others)
    return result


def observable_out(row: Observable, seen: dict[str, int] | None = None) -> ObservableOut:
    out = ObservableOut.model_validate(row)
    out.seen_elsewhere = (seen or {}).get(row.id, 0)
    return out


def observables_out(
    uow: UnitOfWork, actor: Actor, rows: Sequence[Observable]
) -> list[ObservableOut]:
    seen = seen_elsewhere(uow, actor, rows)
    return [observable_out(r, seen) for r in rows]


def search_values(value: str, kind: str | None) -> set[str]:
    """The stored forms ``value`` may have: normalised for ``kind`` (:class:`InvalidInput`
    naming ``value`` when it is not valid for it), or for every kind it is valid for."""
    if kind is not None:
        if kind not in KINDS:
            raise InvalidInput("unknown kind", errors=[FieldError("kind", "not a known kind")])
        return {check_value(kind, value)}
    forms = set()
    for k in KINDS:
        try:
            forms.add(normalise(k, value))
        except ValueError:
            continue
    if not forms:
        raise InvalidInput("nothing to search for", errors=[FieldError("value", "give a value")])
    return forms


def _after(cursor: str) -> tuple[datetime, str]:
    added_at, row_id = decode_cursor(cursor)
    try:
        at = datetime.fromisoformat(str(added_at))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise InvalidInput(
            "bad cursor", errors=[FieldError("cursor", "not a cursor this API gave")]
        )
    return at, str(row_id)


def search_observables(
    uow: UnitOfWork, actor: Actor, value: str, kind: str | None = None, *,
    limit: int = MAX_SEARCH, cursor: str | None = None,
) -> Page[SightingOut]:  # fmt: skip
    """Every observable with this value (and kind, if given) on an incident ``actor``
    may see, newest first, ``limit`` at a time after ``cursor``."""
    forms = search_values(value, kind)
    limit = max(1, min(limit, MAX_SEARCH))
    query = (
        select(Observable, Incident)
        .join(Incident, Incident.id == Observable.incident_id)
        .where(Observable.value.in_(forms), visible_clause(uow, actor))
        .order_by(Observable.added_at.desc(), Observable.id.desc())
        .limit(limit + 1)
    )
    if kind is not None:
        query = query.where(Observable.kind == kind)
    if cursor:
        query = query.where(tuple_(Observable.added_at, Observable.id) < tuple_(*_after(cursor)))
    rows = uow.session.execute(query).all()
    more, rows = len(rows) > limit, rows[:limit]
    seen = seen_elsewhere(uow, actor, [obs for obs, _incident in rows])
    items = [
        SightingOut(
            observable=observable_out(obs, seen),
            incident_reference=reference(incident),
            incident_title=incident.title,
            incident_status=incident.status,
            incident_restricted=incident.restricted,
        )
        for obs, incident in rows
    ]
    last = rows[-1][0] if rows else None
    next_cursor = (
        encode_cursor([last.added_at.isoformat(), last.id]) if more and last is not None else None
    )
    return Page(items=items, next_cursor=next_cursor)
