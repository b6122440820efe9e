"""Moving an incident through its lifecycle, and correcting when things happened."""

from __future__ import annotations

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.lifecycle import (
    REOPENABLE,
    STATUS_LABELS,
    allowed_next,
    is_reopen,
    ordering_problem,
    times_of,
    timestamp_field,
)
from muster.domain.incidents.models import Incident
from muster.domain.incidents.record import record
from muster.domain.incidents.schemas import TimestampCorrection
from muster.domain.incidents.service import schedule_next_update
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import Conflict, FieldError, InvalidInput

# Cleared by a reopen: the incident is no longer resolved, reviewed, closed or declined.
_CLEARED_ON_REOPEN = ("resolved_at", "in_review_at", "closed_at", "declined_at")


def check_transition(incident: Incident, to: str) -> None:
    """Raise :class:`Conflict` naming the allowed next statuses unless ``to`` is one."""
    allowed = allowed_next(incident.status)
    if to not in allowed:
        names = ", ".join(allowed) or "none (final)"
        raise Conflict(
            f"an incident cannot go from {incident.status} to {to}",
            errors=[FieldError("status", f"allowed from {incident.status}: {names}")],
        )


def do_transition(
    uow: UnitOfWork, actor: Actor, incident_id: str, to: str, *, note: str = ""
) -> Incident:
    """Move the incident to status ``to`` and stamp when; a move from resolved, in
    review, closed or declined back to investigating is a reopen.

    Preconditions: responder role; the incident visible; ``to`` allowed from its status."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    check_transition(incident, to)
    before = incident.status
    now = uow.now
    if is_reopen(before, to):
        for name in _CLEARED_ON_REOPEN:
            setattr(incident, name, None)
        incident.reopened_at = now
        incident.status = "investigating"
        if incident.investigating_at is None:
            incident.investigating_at = now
        schedule_next_update(uow, incident)
        incident.updated_at = now
        record(uow, actor, incident, "incident.reopened", **{"from": before}, note=note)
        return incident
    incident.status = to
    setattr(incident, timestamp_field(to), now)
    incident.updated_at = now
    schedule_next_update(uow, incident)
    record(
        uow, actor, incident, "incident.status_changed",
        **{"from": before, "to": to}, label=STATUS_LABELS[to], note=note,
    )  # fmt: skip
    return incident


def do_correct_timestamp(
    uow: UnitOfWork, actor: Actor, incident_id: str, correction: TimestampCorrection
) -> Incident:
    """Set when a phase was entered (or when the problem was detected), with a reason.

    Preconditions: manager role; the incident visible; the phase was entered (or the
    field is ``detected_at``); the new time keeps the order detected ≤ investigating ≤
    contained ≤ eradicated ≤ recovering ≤ resolved ≤ in review ≤ closed, none in the
    future, detection not after the declaration."""
    require(actor, Role.MANAGER)
    incident = get_visible_incident(uow, actor, incident_id)
    field, at = correction.field, correction.at
    if at.tzinfo is None:
        raise InvalidInput("bad time", errors=[FieldError("at", "give a time zone (e.g. Z)")])
    before = getattr(incident, field)
    if before is None:
        raise InvalidInput(
            "nothing to correct",
            errors=[FieldError("field", f"the incident has no {field} yet")],
        )
    times = times_of(incident)
    times[field] = at
    problem = ordering_problem(times, uow.now)
    if problem:
        raise InvalidInput(
            "timestamps out of order", errors=[FieldError("at", f"{problem[0]} {problem[1]}")]
        )
    setattr(incident, field, at)
    incident.updated_at = uow.now
    record(
        uow, actor, incident, "incident.timestamp_corrected",
        field=field, **{"from": before, "to": at}, reason=correction.reason,
    )  # fmt: skip
    return incident


__all__ = ["REOPENABLE", "check_transition", "do_correct_timestamp", "do_transition"]
