"""What the public status page shows, read straight from the tables.

Only this leaves through the page, the Atom feed and the JSON endpoint:

* components: services marked public (under their public name, else their name);
* incidents that are customer-facing, not restricted, and affect a public component —
  with a generic title made from their impact and components (an incident's own title,
  summary and people are internal), and their updates of kind ``public`` only (body,
  public status, time; never the author);
* maintenance windows of public components, as "Scheduled maintenance" and their times
  (the reason typed for the window is internal).

A component's status is the worst of what affects it: an open incident by its severity
(SEV1 major outage, SEV2 partial outage, SEV3-5 degraded performance) unless its latest
public update already says resolved, and a maintenance window in progress (under
maintenance, which outranks degraded performance but not an outage).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from muster.clock import ensure_utc
from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import MaintenanceWindow
from muster.domain.catalog.models import Service
from muster.domain.incidents.lifecycle import OPEN_STATUSES
from muster.domain.incidents.models import Incident, IncidentService, StatusUpdate

PUBLIC_STATUSES = ("investigating", "identified", "monitoring", "resolved")
PUBLIC_STATUS_LABELS = {
    "investigating": "Investigating", "identified": "Identified", "monitoring": "Monitoring",
    "resolved": "Resolved",
}  # fmt: skip
# Component states, least to most severe.
STATES = (
    "operational", "degraded_performance", "under_maintenance", "partial_outage", "major_outage",
)  # fmt: skip
STATE_LABELS = {
    "operational": "Operational", "degraded_performance": "Degraded performance",
    "under_maintenance": "Under maintenance", "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}  # fmt: skip
OVERALL_LABELS = {
    "operational": "All systems operational", "degraded_performance": "Degraded performance",
    "under_maintenance": "Maintenance in progress", "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}  # fmt: skip
CLOSED_STATUSES = ("resolved", "in_review", "closed")
HISTORY_DAYS = 90
MAX_PAST = 500
MAX_MAINTENANCE = 100
MAINTENANCE_TITLE = "Scheduled maintenance"


def state_of_severity(severity: int) -> str:
    if severity <= 1:
        return "major_outage"
    if severity == 2:
        return "partial_outage"
    return "degraded_performance"


def worst(states: Iterable[str]) -> str:
    return max(states, key=STATES.index, default="operational")


@dataclass(frozen=True)
class PublicComponent:
    id: str
    name: str
    status: str

    @property
    def status_label(self) -> str:
        return STATE_LABELS[self.status]


@dataclass(frozen=True)
class PublicUpdate:
    id: str
    status: str
    body: str
    posted_at: datetime

    @property
    def status_label(self) -> str:
        return PUBLIC_STATUS_LABELS[self.status]


@dataclass(frozen=True)
class PublicIncident:
    id: str
    impact: str  # a component state: what the incident does to its components
    status: str  # a public status
    started_at: datetime
    resolved_at: datetime | None
    components: tuple[PublicComponent, ...]
    updates: tuple[PublicUpdate, ...]  # newest first

    @property
    def title(self) -> str:
        names = ", ".join(c.name for c in self.components)
        return f"{STATE_LABELS[self.impact]}: {names}"

    @property
    def status_label(self) -> str:
        return PUBLIC_STATUS_LABELS[self.status]

    @property
    def impact_label(self) -> str:
        return STATE_LABELS[self.impact]

    @property
    def updated_at(self) -> datetime:
        return self.updates[0].posted_at if self.updates else self.started_at


@dataclass(frozen=True)
class PublicMaintenance:
    id: str
    starts_at: datetime
    ends_at: datetime
    in_progress: bool
    components: tuple[PublicComponent, ...]
    title: str = MAINTENANCE_TITLE


@dataclass(frozen=True)
class PastDay:
    day: date
    incidents: tuple[PublicIncident, ...]


@dataclass(frozen=True)
class StatusSnapshot:
    generated_at: datetime
    components: tuple[PublicComponent, ...]
    incidents: tuple[PublicIncident, ...]  # open, newest first
    maintenance: tuple[PublicMaintenance, ...]  # in progress and upcoming, soonest first
    past: tuple[PastDay, ...]  # newest day first

    @property
    def status(self) -> str:
        return worst(c.status for c in self.components)

    @property
    def status_label(self) -> str:
        return OVERALL_LABELS[self.status]

    def all_updates(self) -> list[tuple[PublicIncident, PublicUpdate]]:
        """Every public update on the page with its incident, newest first."""
        found = [(i, u) for i in self.incidents for u in i.updates]
        found += [(i, u) for day in self.past for i in day.incidents for u in i.updates]
        return sorted(found, key=lambda pair: (pair[1].posted_at, pair[1].id), reverse=True)


def public_name(service: Service) -> str:
    return service.public_name.strip() or service.name


def status_snapshot(uow: UnitOfWork) -> StatusSnapshot:
    """Everything the public status page shows, as of ``uow.now``."""
    now = uow.now
    services = uow.session.scalars(
        select(Service).where(
            Service.public.is_(True), Service.archived_at.is_(None),
            Service.exercise_run_id.is_(None),  # drills never show (muster.domain.exercises)
        )
    ).all()  # fmt: skip
    names = {s.id: public_name(s) for s in services}
    open_rows = _incidents(uow, names, Incident.status.in_(OPEN_STATUSES))
    past_rows = _incidents(
        uow, names, Incident.status.in_(CLOSED_STATUSES),
        Incident.resolved_at >= now - timedelta(days=HISTORY_DAYS), limit=MAX_PAST,
    )  # fmt: skip
    links = _links(uow, [i.id for i in (*open_rows, *past_rows)], names)
    updates = _updates(uow, list(links), now)
    windows = _windows(uow, list(names), now)

    affected: dict[str, list[str]] = defaultdict(list)
    open_incidents = []
    for row in open_rows:
        shown = updates.get(row.id, ())
        status = shown[0].status if shown else "investigating"
        open_incidents.append(_public(row, status, links[row.id], names, shown))
        if status != "resolved":
            for service_id in links[row.id]:
                affected[service_id].append(state_of_severity(row.severity))
    for window in windows:
        if window.starts_at <= now:
            affected[window.service_id].append("under_maintenance")
    components = tuple(
        PublicComponent(sid, name, worst(affected.get(sid, ())))
        for sid, name in sorted(names.items(), key=lambda item: (item[1].lower(), item[0]))
    )
    by_id = {c.id: c for c in components}
    current = tuple(_with_components(i, by_id) for i in sorted(open_incidents, key=_newest_first))
    past = [
        _with_components(_public(r, "resolved", links[r.id], names, updates.get(r.id, ())), by_id)
        for r in past_rows
    ]
    return StatusSnapshot(
        generated_at=now,
        components=components,
        incidents=current,
        maintenance=_maintenance(windows, by_id, now),
        past=_by_day(past),
    )


def _incidents(
    uow: UnitOfWork, names: dict[str, str], *where: object, limit: int = MAX_PAST
) -> Sequence[Incident]:
    if not names:
        return []
    touches_public = (
        select(IncidentService.incident_id)
        .where(
            IncidentService.incident_id == Incident.id,
            IncidentService.service_id.in_(list(names)),
        )
        .exists()
    )
    query = (
        select(Incident)
        .where(
            Incident.customer_facing.is_(True),
            Incident.restricted.is_(False),
            Incident.exercise_run_id.is_(None),
            touches_public,
            *where,  # type: ignore[arg-type]
        )
        .order_by(Incident.declared_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    return uow.session.scalars(query).all()


def _links(uow: UnitOfWork, ids: list[str], names: dict[str, str]) -> dict[str, list[str]]:
    """Each incident's public services (ids, in the page's order)."""
    links: dict[str, list[str]] = {i: [] for i in ids}
    if not ids:
        return links
    rows = uow.session.execute(
        select(IncidentService.incident_id, IncidentService.service_id).where(
            IncidentService.incident_id.in_(ids), IncidentService.service_id.in_(list(names))
        )
    ).all()
    for incident_id, service_id in rows:
        links[incident_id].append(service_id)
    for services in links.values():
        services.sort(key=lambda sid: (names[sid].lower(), sid))
    return links


def _updates(
    uow: UnitOfWork, incident_ids: list[str], now: datetime
) -> dict[str, tuple[PublicUpdate, ...]]:
    """Each incident's public updates, newest first (internal ones are never read)."""
    found: dict[str, list[PublicUpdate]] = defaultdict(list)
    if not incident_ids:
        return {}
    rows = uow.session.scalars(
        select(StatusUpdate)
        .where(
            StatusUpdate.incident_id.in_(incident_ids),
            StatusUpdate.kind == "public",
            StatusUpdate.posted_at <= now,
        )
        .order_by(StatusUpdate.posted_at.desc(), StatusUpdate.id.desc())
    ).all()
    for row in rows:
        status = row.public_status if row.public_status in PUBLIC_STATUSES else "investigating"
        found[row.incident_id].append(
            PublicUpdate(row.id, status, row.body, ensure_utc(row.posted_at))
        )
    return {k: tuple(v) for k, v in found.items()}


def _windows(uow: UnitOfWork, service_ids: list[str], now: datetime) -> list[MaintenanceWindow]:
    if not service_ids:
        return []
    return list(
        uow.session.scalars(
            select(MaintenanceWindow)
            .where(
                MaintenanceWindow.service_id.in_(service_ids),
                MaintenanceWindow.cancelled_at.is_(None),
                MaintenanceWindow.ends_at > now,
            )
            .order_by(MaintenanceWindow.starts_at, MaintenanceWindow.id)
            .limit(MAX_MAINTENANCE)
        )
    )


def _public(
    row: Incident, status: str, service_ids: list[str], names: dict[str, str],
    updates: tuple[PublicUpdate, ...],
) -> PublicIncident:  # fmt: skip
    closed = row.resolved_at is not None and row.status in CLOSED_STATUSES
    components = tuple(PublicComponent(s, names[s], "operational") for s in service_ids)
    return PublicIncident(
        id=row.id, impact=state_of_severity(row.severity), status=status,
        started_at=ensure_utc(row.declared_at),
        resolved_at=ensure_utc(row.resolved_at) if closed and row.resolved_at else None,
        components=components, updates=updates,
    )  # fmt: skip


def _with_components(incident: PublicIncident, by_id: dict[str, PublicComponent]) -> PublicIncident:
    """The incident naming its components with their current status."""
    components = tuple(by_id.get(c.id, c) for c in incident.components)
    return PublicIncident(
        incident.id, incident.impact, incident.status, incident.started_at,
        incident.resolved_at, components, incident.updates,
    )  # fmt: skip


def _newest_first(incident: PublicIncident) -> tuple[float, str]:
    return (-incident.started_at.timestamp(), incident.id)


def _maintenance(
    windows: list[MaintenanceWindow], by_id: dict[str, PublicComponent], now: datetime
) -> tuple[PublicMaintenance, ...]:
    """Windows at the same times on several components shown once, naming them all."""
    grouped: dict[tuple[datetime, datetime], list[MaintenanceWindow]] = defaultdict(list)
    for window in windows:
        grouped[(ensure_utc(window.starts_at), ensure_utc(window.ends_at))].append(window)
    shown = []
    for (starts, ends), same in grouped.items():
        components = sorted(
            {by_id[w.service_id] for w in same}, key=lambda c: (c.name.lower(), c.id)
        )
        shown.append(
            PublicMaintenance(
                id=min(w.id for w in same),
                starts_at=starts,
                ends_at=ends,
                in_progress=starts <= now,
                components=tuple(components),
            )
        )
    return tuple(sorted(shown, key=lambda m: (m.starts_at, m.ends_at, m.id)))


def _by_day(incidents: list[PublicIncident]) -> tuple[PastDay, ...]:
    days: dict[date, list[PublicIncident]] = defaultdict(list)
    for incident in incidents:
        day = (incident.resolved_at or incident.updated_at).date()
        days[day].append(incident)
    return tuple(
        PastDay(day, tuple(sorted(items, key=_newest_first)))
        for day, items in sorted(days.items(), reverse=True)
    )
