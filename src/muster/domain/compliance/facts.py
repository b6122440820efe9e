"""The facts that start an incident's regulatory clocks (``aware_at``, ``material_at``,
``classified_major_at`` ...) and the count some reports depend on
(``affected_people``): each recorded with who and why, every change on the timeline
with the previous value, and the clocks recomputed at once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.accounts.permissions import require
from muster.domain.compliance.clock_schemas import FactIn
from muster.domain.compliance.clocks import recompute_clocks
from muster.domain.compliance.models import ComplianceFact
from muster.domain.events.actor import Actor, Role
from muster.domain.incidents.record import record
from muster.domain.incidents.visibility import get_visible_incident
from muster.errors import FieldError, InvalidInput

# The facts the catalogue's reports start on, offered by name in the UI (others may be
# recorded for admins' own regimes).
TIME_FACTS: dict[str, str] = {
    "aware_at": "Became aware",
    "discovered_at": "Discovered",
    "material_at": "Determined material",
    "classified_major_at": "Classified as major",
    "reasonable_belief_at": "Reasonable belief of a covered incident",
    "ransom_paid_at": "Ransom paid",
}
NUMBER_FACTS: dict[str, str] = {"affected_people": "People affected"}
KNOWN_FACTS = {**TIME_FACTS, **NUMBER_FACTS}
MAX_NUMBER = 10**9
FACT_KEY = re.compile(r"[a-z][a-z0-9_]{0,79}")
FUTURE_SLACK = timedelta(minutes=5)  # clocks of devices a little ahead of the server


def fact_label(key: str) -> str:
    return KNOWN_FACTS.get(key, key.replace("_", " ").capitalize())


def _check_value(uow: UnitOfWork, key: str, data: FactIn) -> None:
    if (data.at is None) == (data.number is None):
        want = "number" if key in NUMBER_FACTS else "at"
        raise InvalidInput(
            "give a time or a number", errors=[FieldError(want, "exactly one of at and number")]
        )
    if key in TIME_FACTS and data.at is None:
        raise InvalidInput("this fact is a time", errors=[FieldError("at", "required")])
    if key in NUMBER_FACTS and data.number is None:
        raise InvalidInput("this fact is a number", errors=[FieldError("number", "required")])
    if data.at is not None and data.at > uow.now + FUTURE_SLACK:
        raise InvalidInput("not in the future", errors=[FieldError("at", "in the future")])
    if data.number is not None and not 0 <= data.number <= MAX_NUMBER:
        raise InvalidInput("out of range", errors=[FieldError("number", f"0 to {MAX_NUMBER}")])


def do_record_fact(
    uow: UnitOfWork, actor: Actor, incident_id: str, key: str, data: FactIn
) -> ComplianceFact:
    """Record (or correct) the incident's fact ``key``: ``incident.compliance_fact_recorded``
    with the previous value, then the clocks recomputed.

    Preconditions: responder role; the incident visible; ``key`` of the form
    ``[a-z][a-z0-9_]*`` (at most 80); a time (not in the future) for a known time fact,
    a number from 0 for ``affected_people``, exactly one of the two; a reason. Recording
    the same value again changes nothing."""
    require(actor, Role.RESPONDER)
    incident = get_visible_incident(uow, actor, incident_id)
    if not FACT_KEY.fullmatch(key):
        raise InvalidInput("bad fact", errors=[FieldError("key", "a-z, 0-9 and _, from a letter")])
    _check_value(uow, key, data)
    row = uow.session.scalar(
        select(ComplianceFact).where(
            ComplianceFact.incident_id == incident.id, ComplianceFact.key == key
        )
    )
    previous_at = row.at if row is not None else None
    previous_number = row.number if row is not None else None
    if row is not None and (previous_at, previous_number) == (data.at, data.number):
        return row
    if row is None:
        row = ComplianceFact(incident_id=incident.id, key=key)
        uow.session.add(row)
    row.at, row.number, row.reason = data.at, data.number, data.reason
    row.recorded_at, row.recorded_by = uow.now, actor.label
    uow.flush()
    record(
        uow, actor, incident, "incident.compliance_fact_recorded", fact=key, at=data.at,
        number=data.number, reason=data.reason, previous_at=previous_at,
        previous_number=previous_number,
    )  # fmt: skip
    recompute_clocks(uow, actor, incident)
    return row
