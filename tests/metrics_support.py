"""Building incidents with known response times for the metrics tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from incident_support import Cast, declare
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, AlertGroup
from muster.domain.events.actor import Actor
from muster.domain.incidents.metric_moments import refresh_moments
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.incidents.roles import do_assign_role
from muster.domain.incidents.transitions import do_transition


def link_alert(
    db: Database,
    cast: Cast,
    incident_id: str,
    *,
    first_seen: datetime,
    occurred: datetime | None = None,
    acknowledged: datetime | None = None,
) -> str:
    """A group with one alert, linked to the incident without a command (so the incident's
    metric moments are refreshed here, as a bulk import would); returns the group's id."""
    with db.unit_of_work() as uow:
        group = AlertGroup(
            service_id=cast.service, group_key=f"k-{first_seen.isoformat()}", status="resolved",
            severity="critical", summary="disk full", pages=True, first_seen=first_seen,
            last_seen=first_seen, acknowledged_at=acknowledged,
        )  # fmt: skip
        uow.session.add(group)
        uow.flush()
        uow.session.add(Alert(
            service_id=cast.service, group_id=group.id, dedup_key=group.group_key,
            status="resolved", severity="critical", summary="disk full", labels={},
            custom_details={}, links=[], images=[], first_seen=first_seen, last_seen=first_seen,
            occurred_at=occurred, raw={},
        ))  # fmt: skip
        uow.session.add(IncidentAlertGroup(
            group_id=group.id, incident_id=incident_id, linked_at=first_seen, linked_by="test"
        ))  # fmt: skip
        uow.flush()
        refresh_moments(uow, [incident_id])
        uow.commit()
        return group.id


def set_times(db: Database, incident_id: str, **times: datetime | None) -> None:
    with db.unit_of_work() as uow:
        incident = uow.session.get_one(Incident, incident_id)
        for name, value in times.items():
            setattr(incident, name, value)
        uow.commit()


def assign_commander(db: Database, actor: Actor, incident_id: str, user_id: str) -> None:
    with db.unit_of_work() as uow:
        do_assign_role(uow, actor, incident_id, "commander", user_id)
        uow.commit()


def move(db: Database, clock: ManualClock, actor: Actor, incident_id: str, to: str,
         after: timedelta) -> None:  # fmt: skip
    clock.advance(after)
    with db.unit_of_work() as uow:
        do_transition(uow, actor, incident_id, to)
        uow.commit()


def declared_ago(db: Database, cast: Cast, detected_before: timedelta, **fields: object) -> str:
    """An incident declared now by ``cast.ic``, detected ``detected_before`` earlier."""
    with db.unit_of_work(readonly=True) as uow:
        now = uow.now
    return declare(db, cast.ic, detected_at=(now - detected_before).isoformat(),
                   service_ids=[cast.service], **fields)  # fmt: skip
