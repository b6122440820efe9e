"""What the sites pages show: per site, what is happening now (open alerts and incidents,
devices offline, restricted-zone activity of the last hours), and one site in detail.

Incidents a caller may not see (restricted ones) are neither listed nor counted.

Drills stay apart (muster.domain.exercises): exercise alerts and incidents (and site events
reported through an exercise integration) never make a site busy; they are counted and
listed on their own, marked EXERCISE, so a drill cannot make a real site look busy. A
drill run's own site (``Site.exercise_run_id``, muster.domain.drills.exercise_site) is
never busy either and is listed after the real ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import OPEN_STATUSES, Alert, Integration
from muster.domain.events.actor import Actor
from muster.domain.exercises.tagging import real_only
from muster.domain.incidents.lifecycle import OPEN_STATUSES as OPEN_INCIDENT_STATUSES
from muster.domain.incidents.models import Incident
from muster.domain.incidents.visibility import visible_clause
from muster.domain.sites.models import Device, Site, SiteEvent, Zone

DEFAULT_HOURS = 6
MAX_HOURS = 24 * 7
LIST_LIMIT = 200


@dataclass(frozen=True, slots=True)
class SiteSummary:
    site: Site
    open_alerts: int
    open_incidents: int
    devices: int
    devices_offline: int
    restricted_events: int  # in restricted zones, within the window (real ones)
    last_event_at: datetime | None
    exercise_alerts: int = 0  # open, made by a drill run: never make the site busy
    exercise_incidents: int = 0

    @property
    def exercise(self) -> bool:
        """The site is a drill run's own."""
        return self.site.exercise_run_id is not None

    @property
    def busy(self) -> bool:
        """Something real is happening at the site (drill work does not count)."""
        return not self.exercise and bool(self.open_alerts or self.open_incidents or self.devices_offline
                    or self.restricted_events)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ZoneActivity:
    event: SiteEvent
    zone_name: str
    device_name: str | None
    exercise: bool = False  # reported through a drill run's integration


def _counts(uow: UnitOfWork, query: Select[*tuple[Any, ...]]) -> dict[str, int]:
    """``site id -> count`` of a ``(site_id, count)`` query."""
    return {str(row[0]): int(row[1]) for row in uow.session.execute(query) if row[0]}


def _world(column: Any, exercise: bool) -> Any:
    """Real rows (``exercise_run_id`` null), or with ``exercise`` the drills' rows."""
    return column.is_not(None) if exercise else real_only(column)


def _open_alert_counts(uow: UnitOfWork, *, exercise: bool) -> dict[str, int]:
    return _counts(
        uow,
        select(Alert.site_id, func.count())
        .where(Alert.site_id.is_not(None), Alert.status.in_(OPEN_STATUSES),
               _world(Alert.exercise_run_id, exercise))
        .group_by(Alert.site_id),
    )  # fmt: skip


def _open_incident_counts(uow: UnitOfWork, actor: Actor, *, exercise: bool) -> dict[str, int]:
    return _counts(
        uow,
        select(Incident.site_id, func.count())
        .where(
            Incident.site_id.is_not(None),
            Incident.status.in_(OPEN_INCIDENT_STATUSES),
            visible_clause(uow, actor),
            _world(Incident.exercise_run_id, exercise),
        )
        .group_by(Incident.site_id),
    )


def site_summaries(
    uow: UnitOfWork, actor: Actor, *, hours: int = DEFAULT_HOURS
) -> list[SiteSummary]:
    """Every site with its counts, the busy ones first, then by name."""
    since = uow.now - timedelta(hours=hours)
    sites = uow.session.scalars(select(Site).order_by(func.lower(Site.name), Site.id)).all()
    alerts = _open_alert_counts(uow, exercise=False)
    incidents = _open_incident_counts(uow, actor, exercise=False)
    drill_alerts = _open_alert_counts(uow, exercise=True)
    drill_incidents = _open_incident_counts(uow, actor, exercise=True)
    devices = _counts(uow, select(Device.site_id, func.count()).group_by(Device.site_id))
    offline = _counts(
        uow,
        select(Device.site_id, func.count())
        .where(Device.online.is_(False))
        .group_by(Device.site_id),
    )
    restricted = _counts(
        uow,
        select(SiteEvent.site_id, func.count())
        .join(Zone, Zone.id == SiteEvent.zone_id)
        .outerjoin(Integration, Integration.id == SiteEvent.integration_id)
        .where(
            Zone.restricted.is_(True),
            SiteEvent.occurred_at >= since,
            real_only(Integration.exercise_run_id),
        )
        .group_by(SiteEvent.site_id),
    )
    last = {
        site_id: at
        for site_id, at in uow.session.execute(
            select(SiteEvent.site_id, func.max(SiteEvent.occurred_at)).group_by(SiteEvent.site_id)
        )
    }
    summaries = [
        SiteSummary(
            site=site,
            open_alerts=alerts.get(site.id, 0),
            open_incidents=incidents.get(site.id, 0),
            devices=devices.get(site.id, 0),
            devices_offline=offline.get(site.id, 0),
            restricted_events=restricted.get(site.id, 0),
            last_event_at=last.get(site.id),
            exercise_alerts=drill_alerts.get(site.id, 0),
            exercise_incidents=drill_incidents.get(site.id, 0),
        )
        for site in sites
    ]
    # Busy real sites, quiet real sites, then drill sites; stable: names stay in order.
    return sorted(summaries, key=lambda s: (s.exercise, not s.busy))


def open_alerts_at(uow: UnitOfWork, site_id: str, *, exercise: bool = False) -> Sequence[Alert]:
    """The site's open real alerts (with ``exercise``: its open drill alerts)."""
    return uow.session.scalars(
        select(Alert)
        .where(
            Alert.site_id == site_id,
            Alert.status.in_(OPEN_STATUSES),
            _world(Alert.exercise_run_id, exercise),
        )
        .order_by(Alert.last_seen.desc(), Alert.id.desc())
        .limit(LIST_LIMIT)
    ).all()


def open_incidents_at(
    uow: UnitOfWork, actor: Actor, site_id: str, *, exercise: bool = False
) -> Sequence[Incident]:
    """The site's open real incidents ``actor`` may see (with ``exercise``: drill ones)."""
    return uow.session.scalars(
        select(Incident)
        .where(
            Incident.site_id == site_id,
            Incident.status.in_(OPEN_INCIDENT_STATUSES),
            visible_clause(uow, actor),
            _world(Incident.exercise_run_id, exercise),
        )
        .order_by(Incident.severity, Incident.declared_at.desc(), Incident.id)
        .limit(LIST_LIMIT)
    ).all()


def restricted_activity(
    uow: UnitOfWork, site_id: str, *, hours: int = DEFAULT_HOURS
) -> list[ZoneActivity]:
    """Site events in the site's restricted zones within the last ``hours``, newest first
    (those reported through a drill's integration marked ``exercise``)."""
    since = uow.now - timedelta(hours=hours)
    rows = uow.session.execute(
        select(SiteEvent, Zone.name, Device.name, Integration.exercise_run_id)
        .join(Zone, Zone.id == SiteEvent.zone_id)
        .outerjoin(Device, Device.id == SiteEvent.device_id)
        .outerjoin(Integration, Integration.id == SiteEvent.integration_id)
        .where(
            SiteEvent.site_id == site_id,
            Zone.restricted.is_(True),
            SiteEvent.occurred_at >= since,
        )
        .order_by(SiteEvent.occurred_at.desc(), SiteEvent.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    return [
        ZoneActivity(event, zone, device, run_id is not None)
        for event, zone, device, run_id in rows
    ]
