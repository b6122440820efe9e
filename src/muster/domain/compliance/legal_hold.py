"""Legal holds: while an incident is on hold, nothing of it is deleted — retention skips
its evidence, attachments and messages, and deleting or disposing of its evidence is
refused. The timeline (the event log) is never deleted by anything."""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.evidence_models import LegalHold
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput

MAX_REASON = 2000


def active_hold(uow: UnitOfWork, incident_id: str) -> LegalHold | None:
    """The incident's unreleased hold, if any."""
    return uow.session.scalar(
        select(LegalHold)
        .where(LegalHold.incident_id == incident_id, LegalHold.released_at.is_(None))
        .order_by(LegalHold.placed_at)
        .limit(1)
    )


def held_incident_ids(uow: UnitOfWork) -> set[str]:
    return set(
        uow.session.scalars(select(LegalHold.incident_id).where(LegalHold.released_at.is_(None)))
    )


def check_not_held(uow: UnitOfWork, incident: Incident, what: str) -> None:
    """Refuse (409) ``what`` while the incident is on legal hold, naming the hold."""
    hold = active_hold(uow, incident.id)
    if hold is not None:
        raise Conflict(
            f"{what} is refused: the incident is on legal hold since "
            f"{hold.placed_at:%Y-%m-%d %H:%M} UTC, placed by {hold.placed_by} "
            f"({hold.reason}); release the hold first"
        )


def list_holds(uow: UnitOfWork, actor: Actor, incident_id: str) -> list[LegalHold]:
    """Every hold of the incident, newest first. Precondition: the incident visible."""
    incident = get_visible_incident(uow, actor, incident_id)
    return list(
        uow.session.scalars(
            select(LegalHold)
            .where(LegalHold.incident_id == incident.id)
            .order_by(LegalHold.placed_at.desc(), LegalHold.id.desc())
        )
    )


def check_reason(reason: str, field: str = "reason") -> str:
    cleaned = reason.strip()
    if not cleaned or len(cleaned) > MAX_REASON:
        raise InvalidInput(
            f"a {field.replace('_', ' ')} is required",
            errors=[FieldError(field, f"1 to {MAX_REASON} characters")],
        )
    return cleaned


def do_place_hold(uow: UnitOfWork, actor: Actor, incident_id: str, *, reason: str) -> LegalHold:
    """Put the incident on legal hold (``incident.legal_hold_placed``).

    Preconditions: manager role; the incident visible; a reason; no hold already active
    (:class:`Conflict`)."""
    require(actor, Role.MANAGER)
    incident = get_visible_incident(uow, actor, incident_id)
    cleaned = check_reason(reason)
    if active_hold(uow, incident.id) is not None:
        raise Conflict("the incident is already on legal hold")
    hold = LegalHold(
        incident_id=incident.id, placed_at=uow.now, placed_by=actor.label, reason=cleaned
    )
    uow.session.add(hold)
    uow.flush()
    record(uow, actor, incident, "incident.legal_hold_placed", hold_id=hold.id, reason=cleaned)
    return hold


def do_release_hold(uow: UnitOfWork, actor: Actor, incident_id: str, *, reason: str) -> LegalHold:
    """Release the incident's legal hold (``incident.legal_hold_released``).

    Preconditions: manager role; the incident visible; a reason; a hold active
    (:class:`Conflict` otherwise)."""
    require(actor, Role.MANAGER)
    incident = get_visible_incident(uow, actor, incident_id)
    cleaned = check_reason(reason)
    hold = active_hold(uow, incident.id)
    if hold is None:
        raise Conflict("the incident is not on legal hold")
    hold.released_at, hold.released_by, hold.release_reason = uow.now, actor.label, cleaned
    record(uow, actor, incident, "incident.legal_hold_released", hold_id=hold.id, reason=cleaned)
    return hold
