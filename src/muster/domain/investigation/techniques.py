"""MITRE ATT&CK techniques observed in an incident: added (by id, under one of the
technique's tactics) and removed, each an event on the timeline."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.domain.investigation.attack import parse_choice, tactic_name, technique
from muster.domain.investigation.models import IncidentTechnique
from muster.domain.investigation.schemas import TechniqueIn, TechniqueOut
from muster.errors import Conflict, FieldError, InvalidInput, NotFound


def list_techniques(uow: UnitOfWork, actor: Actor, incident_id: str) -> Sequence[IncidentTechnique]:
    """In order observed (unknown times last), then as added. Precondition: the
    incident visible."""
    get_visible_incident(uow, actor, incident_id)
    rows = uow.session.scalars(
        select(IncidentTechnique)
        .where(IncidentTechnique.incident_id == incident_id)
        .order_by(IncidentTechnique.added_at, IncidentTechnique.id)
    ).all()
    return sorted(rows, key=lambda r: (r.observed_at is None, r.observed_at or r.added_at))


def technique_out(row: IncidentTechnique) -> TechniqueOut:
    known = technique(row.technique_id)
    return TechniqueOut(
        id=row.id, incident_id=row.incident_id, technique_id=row.technique_id,
        name=known.name if known else row.technique_id, tactic=row.tactic,
        tactic_name=tactic_name(row.tactic), observed_at=row.observed_at, note=row.note,
        added_at=row.added_at, added_by=row.added_by,
    )  # fmt: skip


def do_add_technique(
    uow: UnitOfWork, actor: Actor, incident_id: str, data: TechniqueIn
) -> IncidentTechnique:
    """Record a technique (``incident.technique_added``).

    Preconditions: responder role; the incident visible; ``technique_id`` names a
    shipped technique (its id, or a picker entry "T1059 Command and ..."); ``tactic``
    one of its tactics (may be left out when it has only one); an observed time not in
    the future; not already recorded under that tactic (:class:`Conflict`)."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    found = parse_choice(data.technique_id)
    if found is None:
        raise InvalidInput(
            "unknown technique",
            errors=[FieldError("technique_id", "not an ATT&CK Enterprise technique id")],
        )
    tactic = data.tactic or (found.tactics[0] if len(found.tactics) == 1 else None)
    if tactic not in found.tactics:
        choices = ", ".join(found.tactics)
        raise InvalidInput("choose a tactic", errors=[FieldError("tactic", f"one of {choices}")])
    if data.observed_at is not None and data.observed_at > uow.now:
        raise InvalidInput("bad time", errors=[FieldError("observed_at", "in the future")])
    taken = uow.session.scalar(
        select(IncidentTechnique.id).where(
            IncidentTechnique.incident_id == incident.id,
            IncidentTechnique.technique_id == found.id,
            IncidentTechnique.tactic == tactic,
        )
    )
    if taken is not None:
        raise Conflict(
            "already recorded",
            errors=[FieldError("technique_id", f"{found.id} is already listed under {tactic}")],
        )
    row = IncidentTechnique(
        incident_id=incident.id, technique_id=found.id, tactic=tactic,
        observed_at=data.observed_at, note=data.note, added_at=uow.now, added_by=actor.label,
    )  # fmt: skip
    uow.session.add(row)
    uow.flush()
    record(
        uow, actor, incident, "incident.technique_added",
        technique_row_id=row.id, technique_id=found.id, name=found.name, tactic=tactic,
        observed_at=data.observed_at,
    )  # fmt: skip
    return row


def do_remove_technique(uow: UnitOfWork, actor: Actor, incident_id: str, row_id: str) -> None:
    """Remove a recorded technique (``incident.technique_removed``).

    Preconditions: responder role; the technique recorded on a visible incident."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    row = uow.session.get(IncidentTechnique, row_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound("no such technique on this incident")
    record(
        uow, actor, incident, "incident.technique_removed",
        technique_row_id=row.id, technique_id=row.technique_id, tactic=row.tactic,
    )  # fmt: skip
    uow.session.delete(row)
    uow.flush()
