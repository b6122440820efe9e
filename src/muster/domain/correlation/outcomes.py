"""What a correlation match raises: an alert on the rule's service (through the same
intake as every alert, so routing, grouping and paging apply), or an incident of the
rule's type with the matched events' alerts linked and the rule's playbook started.

The alert's custom details and the incident's ``incident.correlated`` timeline entry
name the rule and the site events that made the match."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.models import Alert, Integration
from muster.domain.catalog.models import Service
from muster.domain.correlation.models import CorrelationMatch, CorrelationRule
from muster.domain.events.actor import Actor, Via
from muster.domain.events.service import append_event
from muster.domain.incidents.lifecycle import FINAL
from muster.domain.incidents.links import do_link_alert_groups
from muster.domain.incidents.models import Incident, IncidentAlertGroup, IncidentType
from muster.domain.incidents.record import record
from muster.domain.incidents.schemas import IncidentCreate
from muster.domain.incidents.service import do_declare_incident
from muster.domain.playbooks.models import Playbook
from muster.domain.playbooks.runs import do_start_run
from muster.domain.sites.models import Site, SiteEvent, Zone
from muster.integrations.normalized import InboundAlert, Link

CORRELATOR = Actor.system(Via.ENGINE, label="correlation")
SOURCE = "muster correlation"


def match_url(match: CorrelationMatch) -> str:
    return f"/correlation/matches/{match.id}"


def event_facts(e: SiteEvent) -> dict[str, Any]:
    return {
        "id": e.id, "kind": e.kind, "occurred_at": e.occurred_at.isoformat(),
        "zone_id": e.zone_id, "device_id": e.device_id, "identity": e.identity,
        "identity_kind": e.identity_kind, "alert_id": e.alert_id,
    }  # fmt: skip


def _place(uow: UnitOfWork, match: CorrelationMatch) -> tuple[Site | None, Zone | None]:
    site = uow.session.get(Site, match.site_id)
    zone = uow.session.get(Zone, match.zone_id) if match.zone_id else None
    return site, zone


def _place_text(site: Site | None, zone: Zone | None) -> str:
    name = site.name if site else "an unknown site"
    return f"{name} / {zone.name}" if zone else name


def raise_outcome(
    uow: UnitOfWork, rule: CorrelationRule, match: CorrelationMatch, events: Sequence[SiteEvent]
) -> None:
    """Raise the rule's alert or incident for a new match (one that cannot be raised,
    see :func:`_unraisable`, leaves the match alone, saying why in its event)."""
    site, zone = _place(uow, match)
    facts = [event_facts(e) for e in events]
    skipped = _unraisable(uow, rule)
    if skipped is None and rule.outcome == "incident":
        _declare(uow, rule, match, events, site, zone, facts)
    elif skipped is None:
        _alert(uow, rule, match, site, zone, facts)
    append_event(uow, CORRELATOR, "correlation.matched", subject_type="correlation_match",
                 subject_id=match.id, data={"rule_id": rule.id, "rule": rule.name,
                 "site_id": match.site_id, "zone_id": match.zone_id, "alert_id": match.alert_id,
                 "incident_id": match.incident_id, "site_event_ids": [e.id for e in events],
                 "not_raised": skipped})  # fmt: skip


def _unraisable(uow: UnitOfWork, rule: CorrelationRule) -> str | None:
    """Why the rule's outcome cannot be raised now (its service archived or deleted, its
    incident type archived since it was saved), or None. The match is kept either way,
    so one broken rule never stops site events being considered."""
    service = uow.session.get(Service, rule.service_id) if rule.service_id else None
    if rule.service_id and (service is None or service.archived_at is not None):
        return "the rule's service is archived"
    if rule.outcome == "alert":
        return None if service is not None else "the rule names no service"
    kind = uow.session.scalar(select(IncidentType).where(IncidentType.key == rule.incident_type))
    if kind is None or kind.archived_at is not None:
        return f"the incident type {rule.incident_type!r} is archived"
    return None


def _alert(
    uow: UnitOfWork, rule: CorrelationRule, match: CorrelationMatch, site: Site | None,
    zone: Zone | None, facts: list[dict[str, Any]],
) -> None:  # fmt: skip
    assert rule.service_id is not None
    # Intake reads the door an alert came through; correlation alerts come through none
    # (the row is never stored, so the alert's integration_id stays empty).
    door = Integration(id=None, service_id=rule.service_id, type="correlation",
                       name="Correlation rules", config={})  # fmt: skip
    labels = {"correlation_rule": rule.name, "site": site.name if site else ""}
    if zone is not None:
        labels["zone"] = zone.name
    inbound = InboundAlert(
        action="trigger", dedup_key=f"correlation:{match.id}",
        summary=f"{rule.title} at {_place_text(site, zone)}"[:1024],
        severity=rule.alert_severity,  # type: ignore[arg-type]
        source=SOURCE, labels=labels,
        custom_details={"correlation": {"match_id": match.id, "rule": rule.name,
                                        "events": facts}},  # type: ignore[dict-item]
        links=[Link(href=match_url(match), text="Correlation match")],
        occurred_at=match.first_event_at,
    )  # fmt: skip
    outcome = do_ingest(uow, door, [inbound])[0]
    if outcome.alert_id:
        uow.flush()
        alert = uow.session.get(Alert, outcome.alert_id)
        if alert is not None:
            alert.site_id, alert.zone_id = match.site_id, match.zone_id
        match.alert_id = outcome.alert_id


def _free_groups(uow: UnitOfWork, events: Sequence[SiteEvent]) -> list[str]:
    """The alert groups of the events' alerts that no incident holds yet."""
    alert_ids = {e.alert_id for e in events if e.alert_id}
    if not alert_ids:
        return []
    groups = set(uow.session.scalars(select(Alert.group_id).where(Alert.id.in_(alert_ids))))
    held = set(
        uow.session.scalars(
            select(IncidentAlertGroup.group_id).where(IncidentAlertGroup.group_id.in_(groups))
        )
    )
    return sorted(groups - held)


def _declare(
    uow: UnitOfWork, rule: CorrelationRule, match: CorrelationMatch,
    events: Sequence[SiteEvent], site: Site | None, zone: Zone | None,
    facts: list[dict[str, Any]],
) -> None:  # fmt: skip
    uow.flush()
    data = IncidentCreate(
        title=f"{rule.title} at {_place_text(site, zone)}"[:200],
        summary=f"Raised by the correlation rule {rule.name!r}: "
        + ", ".join(f"{f['kind']} at {f['occurred_at']}" for f in facts),
        type=rule.incident_type or "physical_security", severity=rule.incident_severity or 3,
        service_ids=[rule.service_id] if rule.service_id else [],
        sites=[site.name[:80]] if site else [], detected_at=min(match.first_event_at, uow.now),
        group_ids=_free_groups(uow, events),
    )  # fmt: skip
    incident = do_declare_incident(uow, CORRELATOR, data)
    incident.site_id = match.site_id
    match.incident_id = incident.id
    record(uow, CORRELATOR, incident, "incident.correlated", match_id=match.id, rule=rule.name,
           site=site.name if site else None, zone=zone.name if zone else None, events=facts)  # fmt: skip
    if rule.playbook_key:
        playbook = uow.session.scalar(select(Playbook).where(Playbook.key == rule.playbook_key))
        if playbook is not None and playbook.archived_at is None:
            do_start_run(uow, CORRELATOR, playbook, incident,
                         trigger=f"correlation rule {rule.name}")  # fmt: skip


def on_joined(uow: UnitOfWork, match: CorrelationMatch, event: SiteEvent) -> None:
    """A later event joined ``match``: its alert's group joins the match's incident (if
    free), and the incident's timeline says so."""
    incident = uow.session.get(Incident, match.incident_id) if match.incident_id else None
    if incident is None or incident.status in FINAL:
        return
    free = _free_groups(uow, [event])
    if free:
        do_link_alert_groups(uow, CORRELATOR, incident.id, free)
    record(uow, CORRELATOR, incident, "incident.correlation_joined", match_id=match.id,
           rule=match.rule_name, event=event_facts(event))  # fmt: skip
