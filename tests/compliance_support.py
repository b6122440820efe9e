"""Regulatory clock scenarios: applying regimes, recording facts and submissions,
reading an incident's clocks back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incident_support import incident_events
from muster.db.uow import Database
from muster.domain.compliance.clock_schemas import (
    ClockOut,
    ComplianceOut,
    FactIn,
    RegimeApplyIn,
    SubmissionIn,
)
from muster.domain.compliance.clock_views import incident_compliance
from muster.domain.compliance.clocks import do_apply_regime
from muster.domain.compliance.facts import do_record_fact
from muster.domain.compliance.submissions import do_record_submission
from muster.domain.events.actor import Actor


def apply(db: Database, actor: Actor, incident_id: str, regime: str) -> None:
    with db.unit_of_work() as uow:
        data = RegimeApplyIn(regime=regime, reason="personal data involved")
        do_apply_regime(uow, actor, incident_id, data)
        uow.commit()


def fact(
    db: Database, actor: Actor, incident_id: str, key: str, *, at: datetime | None = None,
    number: int | None = None, reason: str = "from the investigation",
) -> None:  # fmt: skip
    with db.unit_of_work() as uow:
        do_record_fact(uow, actor, incident_id, key, FactIn(at=at, number=number, reason=reason))
        uow.commit()


def compliance(db: Database, actor: Actor, incident_id: str) -> ComplianceOut:
    with db.unit_of_work(readonly=True) as uow:
        return incident_compliance(uow, actor, incident_id)


def clock_of(db: Database, actor: Actor, incident_id: str, deadline: str) -> ClockOut:
    """The incident's clock for ``deadline`` (``"gdpr-33/authority"``)."""
    found = [c for c in compliance(db, actor, incident_id).clocks if c.deadline == deadline]
    assert found, f"no clock {deadline}"
    return found[0]


def submit(db: Database, actor: Actor, incident_id: str, clock_id: str, **fields: Any) -> None:
    with db.unit_of_work() as uow:
        data = SubmissionIn.model_validate({"recipient": "regulator", **fields})
        do_record_submission(uow, actor, incident_id, clock_id, data)
        uow.commit()


def events_of(db: Database, incident_id: str, event_type: str) -> list[dict[str, Any]]:
    return [e.data for e in incident_events(db, incident_id) if e.type == event_type]
