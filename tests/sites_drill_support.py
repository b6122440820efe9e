"""A drill at a real site: an exercise service placed at HQ with an exercise integration,
its alerts (exercise, placed at HQ), an incident declared from them, and a door report
through the exercise integration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from muster.db.uow import Database
from muster.domain.accounts.models import Team
from muster.domain.alerts.models import Alert
from muster.domain.events.actor import Actor, Via
from muster.domain.exercises.setup import exercise_integration, exercise_service
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident
from muster.domain.sites.activity import do_record_site_event
from muster.domain.sites.models import Device, Site, SiteEvent
from sites_support import Place, ingest

RUN = "0190aaaa-bbbb-7ccc-8ddd-eeeeeeee00b1"
DRILL = Actor.system(Via.ENGINE, label="drill")


@dataclass(frozen=True)
class Drill:
    service: str
    integration: str
    alert: str
    incident: str


def drill_at_hq(db: Database, place: Place, at: datetime) -> Drill:
    """An exercise alert and incident at HQ, and a forced door reported by the drill."""
    with db.unit_of_work() as uow:
        team = uow.session.scalars(select(Team.id)).first() or ""
        service = exercise_service(uow, DRILL, RUN, team_id=team, title="Break-in")
        service.site_id = place.hq
        integration = exercise_integration(uow, DRILL, service, "pagerduty")
        uow.commit()
        service_id, integration_id = service.id, integration.id
    alert_id = ingest(db, integration_id, "drill-door", "Drill: door forced")
    with db.unit_of_work() as uow:
        alert = uow.session.get_one(Alert, alert_id)
        incident = do_declare_incident(
            uow, DRILL, IncidentCreate(title="Drill break-in", group_ids=[alert.group_id])
        )
        device = uow.session.get_one(Device, place.door)
        event = SiteEvent(site_id=device.site_id, zone_id=device.zone_id, kind="door_forced_open",
                          integration_id=integration_id, occurred_at=at, received_at=uow.now,
                          alert_id=alert_id, identity="DRILL-7", data={})  # fmt: skip
        do_record_site_event(uow, event, device=device)
        uow.commit()
        return Drill(service_id, integration_id, alert_id, incident.id)


def drill_site(db: Database, name: str = "[EXERCISE] Vault") -> str:
    """A drill run's own site (as muster.domain.drills.exercise_site makes one)."""
    with db.unit_of_work() as uow:
        site = Site(name=name, created_at=uow.now, exercise_run_id=RUN)
        uow.session.add(site)
        uow.commit()
        return site.id
