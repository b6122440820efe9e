"""The one way an incident's own events are appended: on its stream ``incident:<id>``,
with its id and restriction in the data so live views and exports can filter them."""

from __future__ import annotations

from typing import Any

from muster.db.uow import UnitOfWork
from muster.domain.events.actor import Actor
from muster.domain.events.service import AppendedEvent, append_event
from muster.domain.incidents.metric_moments import mark_changed
from muster.domain.incidents.models import Incident


def stream_of(incident_id: str) -> str:
    return f"incident:{incident_id}"


def record(
    uow: UnitOfWork, actor: Actor, incident: Incident, event_type: str, /, **data: Any
) -> AppendedEvent:
    """Append ``event_type`` to ``incident``'s timeline (``data`` may use any key), and
    have its metric moments refreshed when the change commits."""
    mark_changed(uow, incident.id)
    return append_event(
        uow,
        actor,
        event_type,
        subject_type="incident",
        subject_id=incident.id,
        data={"incident_id": incident.id, "restricted": incident.restricted, **data},
        stream=stream_of(incident.id),
    )
