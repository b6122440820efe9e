"""Building correlation scenarios: a site with a restricted zone and a lobby, site
events placed there (as physical intake stores them), rules, and running the modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from helpers import SYSTEM
from muster.db.uow import Database
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.integrations import new_key
from muster.domain.alerts.models import Integration
from muster.domain.correlation.models import CorrelationMatch, CorrelationMatchEvent
from muster.domain.correlation.rules import do_create_rule
from muster.domain.correlation.schemas import RuleIn
from muster.domain.sites.models import Device, Site, SiteEvent, Zone
from muster.engine.modules.alert_correlation import AlertCorrelation
from muster.engine.modules.site_correlation import SiteCorrelation
from muster.integrations.normalized import InboundAlert


@dataclass
class Place:
    site: str
    server_room: str  # restricted
    lobby: str
    door: str  # a door device in the server room


def make_place(db: Database, name: str = "HQ") -> Place:
    with db.unit_of_work() as uow:
        now = uow.now
        site = Site(name=name, address="1 Main St", time_zone="Europe/Berlin", created_at=now)
        uow.session.add(site)
        uow.flush()
        server = Zone(site_id=site.id, name="Server room", restricted=True, created_at=now)
        lobby = Zone(site_id=site.id, name="Lobby", restricted=False, created_at=now)
        uow.session.add_all([server, lobby])
        uow.flush()
        door = Device(site_id=site.id, zone_id=server.id, kind="door", name="SR door",
                      external_id="door-7", created_at=now)  # fmt: skip
        uow.session.add(door)
        uow.commit()
        return Place(site.id, server.id, lobby.id, door.id)


def site_event(
    db: Database, place: Place, kind: str, at: datetime, *, zone: str | None = None,
    identity: str | None = None, alert_id: str | None = None, site: str | None = None,
) -> str:  # fmt: skip
    """Store a site event as intake would (received now, occurred ``at``)."""
    with db.unit_of_work() as uow:
        row = SiteEvent(
            site_id=site or place.site, zone_id=zone or place.server_room, kind=kind,
            identity=identity, identity_kind="badge" if identity else None, occurred_at=at,
            received_at=uow.now, alert_id=alert_id, data={},
        )  # fmt: skip
        uow.session.add(row)
        uow.commit()
        return row.id


def make_rule(db: Database, **fields: Any) -> str:
    data = {
        "name": "Forced door and a person", "kinds": ["door_forced_open", "detected:person"],
        "window_minutes": 2, "restricted_only": True, "outcome": "incident", "title": "Unauthorized access",
        "incident_type": "physical_security", "incident_severity": 2, **fields,
    }  # fmt: skip
    with db.unit_of_work() as uow:
        row = do_create_rule(uow, SYSTEM, RuleIn.model_validate(data))
        uow.commit()
        return row.id


def correlate(db: Database) -> int:
    with db.unit_of_work() as uow:
        made = SiteCorrelation().run_due(uow, uow.now)
        uow.commit()
        return made


def group_alerts(db: Database) -> int:
    with db.unit_of_work() as uow:
        done = AlertCorrelation().run_due(uow, uow.now)
        uow.commit()
        return done


def matches(db: Database) -> list[tuple[CorrelationMatch, set[str]]]:
    """Every match with the ids of its site events, oldest first."""
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.scalars(
            select(CorrelationMatch).order_by(CorrelationMatch.matched_at, CorrelationMatch.id)
        ).all()
        result = []
        for m in rows:
            events = set(uow.session.scalars(select(CorrelationMatchEvent.site_event_id).where(
                CorrelationMatchEvent.match_id == m.id)))  # fmt: skip
            uow.session.expunge(m)
            result.append((m, events))
        return result


def door(db: Database, service_id: str, type: str) -> str:
    """An integration of ``type`` (made directly: the security formats' own code is
    another part of the work)."""
    with db.unit_of_work() as uow:
        row = Integration(service_id=service_id, type=type, name=type.title(), key=new_key(),
                          config={}, created_at=uow.now, updated_at=uow.now)  # fmt: skip
        uow.session.add(row)
        uow.commit()
        return row.id


def ingest(db: Database, integration_id: str, alert: InboundAlert) -> tuple[str, str]:
    with db.unit_of_work() as uow:
        (outcome,) = do_ingest(uow, uow.session.get_one(Integration, integration_id), [alert])
        uow.commit()
        assert outcome.alert_id
        assert outcome.group_id
        return outcome.alert_id, outcome.group_id


def wazuh(src_ip: str = "203.0.113.7", user: str = "alice", agent: str = "web-01") -> InboundAlert:
    details: dict[str, Any] = {
        "rule": {"id": "5712", "level": 10, "description": "sshd: brute force trying to get access",
                 "mitre": {"id": ["T1110"]}},
        "agent": {"id": "004", "name": agent, "ip": "10.0.0.15"},
        "data": {"srcip": src_ip, "srcuser": user},
        "full_log": f"Failed password for {user} from {src_ip} port 51022 ssh2",
    }  # fmt: skip
    return InboundAlert(action="trigger", dedup_key=f"wazuh-{src_ip}-{user}",
                        summary="sshd: brute force trying to get access", severity="error",
                        source=agent, labels={"rule_id": "5712", "mitre_techniques": "T1110"},
                        custom_details=details)  # fmt: skip


def suricata(src_ip: str = "203.0.113.7", flow: str = "1") -> InboundAlert:
    details: dict[str, Any] = {
        "src_ip": src_ip, "src_port": 44321, "dest_ip": "10.0.0.15", "dest_port": 22,
        "proto": "TCP", "alert": {"signature_id": 2001219, "signature": "ET SCAN Potential SSH Scan",
                                  "severity": 2},
    }  # fmt: skip
    return InboundAlert(action="trigger", dedup_key=f"suricata-{flow}",
                        summary="ET SCAN Potential SSH Scan", severity="warning",
                        source="suricata", labels={"signature_id": "2001219"},
                        custom_details=details)  # fmt: skip
