"""Where an alert or an incident happened: its site (and, for an alert, its zone).

* Every new alert is placed at its service's site by intake itself (the service's
  ``site_id`` is read with its settings and written with the alert row: see
  :mod:`muster.domain.alerts.ingest`).
* Physical-security intake calls :func:`place_alert` with the device that reported, so the
  alert takes the device's site and zone instead.
* An incident declared from alert groups takes the site of the first placed alert of those
  groups (:func:`place_incident_from_alerts`, called by ``do_declare_incident``).
* A responder sets or changes an incident's site by hand (:func:`set_incident_site`,
  called by ``do_update_incident`` for its ``site_id`` field).
"""

from __future__ import annotations

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.lifecycle import alert_stream
from muster.domain.alerts.models import Alert
from muster.domain.catalog.models import Service
from muster.domain.events.actor import Actor, Via
from muster.domain.events.service import append_event
from muster.domain.exercises.tagging import check_same_run
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.incidents.record import record
from muster.domain.sites.models import Device, Site
from muster.domain.sites.service import check_site_usable

_INTAKE = Actor.system(Via.INGEST, label="placement")


def place_alert(
    uow: UnitOfWork, alert: Alert, device: Device | None = None, *, actor: Actor | None = None
) -> bool:
    """Set ``alert.site_id`` / ``zone_id`` from ``device`` (its site and zone), else from
    the alert's service's site (zone none). Returns whether the place changed; a change
    appends ``alert.placed`` (on the service's alert stream, naming the site, so the site's
    live pages hear of it).

    Precondition: inside the unit of work that stores the alert (or may change it)."""
    if device is not None:
        site_id, zone_id = device.site_id, device.zone_id
    else:
        site_id = uow.session.scalar(select(Service.site_id).where(Service.id == alert.service_id))
        zone_id = None
    if (alert.site_id, alert.zone_id) == (site_id, zone_id):
        return False
    alert.site_id, alert.zone_id = site_id, zone_id
    append_event(
        uow, actor or _INTAKE, "alert.placed", subject_type="alert", subject_id=alert.id,
        data={"alert_id": alert.id, "group_id": alert.group_id, "service_id": alert.service_id,
              "site_id": site_id, "zone_id": zone_id,
              "device_id": device.id if device is not None else None},
        stream=alert_stream(alert.service_id),
    )  # fmt: skip
    return True


def place_incident_from_alerts(uow: UnitOfWork, actor: Actor, incident: Incident) -> bool:
    """Give an incident without a site the site of the earliest placed alert of its linked
    alert groups (``incident.site_set``). Returns whether it took one."""
    if incident.site_id is not None:
        return False
    row = uow.session.execute(
        select(Site.id, Site.name)
        .join(Alert, Alert.site_id == Site.id)
        .join(IncidentAlertGroup, IncidentAlertGroup.group_id == Alert.group_id)
        .where(IncidentAlertGroup.incident_id == incident.id)
        .order_by(Alert.first_seen, Alert.id)
        .limit(1)
    ).first()
    if row is None:
        return False
    incident.site_id = row.id
    record(uow, actor, incident, "incident.site_set", site_id=row.id, site_name=row.name,
           previous_site_id=None, source="alerts")  # fmt: skip
    return True


def set_incident_site(
    uow: UnitOfWork, actor: Actor, incident: Incident, site_id: str | None
) -> bool:
    """Set (or, with None, clear) the incident's site by hand. Returns whether it changed;
    a change records ``incident.site_set`` with the site before and after (ids and names,
    and ``changes: {"site_id": [before, after]}``).

    Preconditions: the caller checked the actor may change the incident (responder, and
    it is visible); ``site_id`` is a site's id (:class:`InvalidInput` naming ``site_id``
    otherwise); a drill run's own site only for that run's incidents (:class:`Conflict`
    otherwise)."""
    site = check_site_usable(uow, site_id) if site_id is not None else None
    if site is not None and site.exercise_run_id is not None:  # a drill run's own site
        check_same_run(incident.exercise_run_id, site.exercise_run_id, field="site_id",
                       what="the site")  # fmt: skip
    before = incident.site_id
    if before == site_id:
        return False
    previous = uow.session.get(Site, before) if before is not None else None
    incident.site_id = site_id
    incident.updated_at = uow.now
    record(uow, actor, incident, "incident.site_set", site_id=site_id,
           site_name=site.name if site else None, previous_site_id=before,
           previous_site_name=previous.name if previous else None, source="hand",
           changes={"site_id": [before, site_id]})  # fmt: skip
    return True
