"""Where an identity was seen: a badge holder, a recognised face, a licence plate.

:func:`identity_trail` answers "where was this identity between T1 and T2": its sightings
(site events carrying it) in time order with the site, zone and device of each.
:func:`incident_identities` lists the identities seen in an incident's alerts' site events,
for the incident's Investigation tab."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.models import Alert
from muster.domain.incidents.models import Incident, IncidentAlertGroup
from muster.domain.sites.models import Device, Site, SiteEvent, Zone
from muster.domain.sites.schemas import SightingOut
from muster.errors import FieldError, InvalidInput

MAX_SIGHTINGS = 1000
MAX_SPAN = timedelta(days=90)
MAX_IDENTITY = 255


def check_window(since: datetime, until: datetime) -> None:
    """:class:`InvalidInput` naming the field when the window is not aware, runs
    backwards, or spans more than :data:`MAX_SPAN`."""
    for field, value in (("since", since), ("until", until)):
        if value.tzinfo is None:
            raise InvalidInput("bad time", errors=[FieldError(field, "give a time zone (e.g. Z)")])
    if until < since:
        raise InvalidInput("bad window", errors=[FieldError("until", "is before since")])
    if until - since > MAX_SPAN:
        raise InvalidInput(
            "window too long",
            errors=[FieldError("until", f"at most {MAX_SPAN.days} days after since")],
        )


def identity_trail(
    uow: UnitOfWork,
    identity: str,
    since: datetime,
    until: datetime,
    site_id: str | None = None,
    *,
    limit: int = MAX_SIGHTINGS,
) -> list[SightingOut]:
    """The sightings of ``identity`` (exactly as reported, trimmed) with ``since <=
    occurred_at <= until`` (at ``site_id`` if given), oldest first, at most ``limit``.

    Preconditions: a non-empty identity of at most 255 characters; a valid window
    (:func:`check_window`)."""
    identity = identity.strip()
    if not identity or len(identity) > MAX_IDENTITY:
        raise InvalidInput("bad identity",
                           errors=[FieldError("identity", f"give 1 to {MAX_IDENTITY} characters")])  # fmt: skip
    check_window(since, until)
    query = (
        select(SiteEvent, Site.name, Zone.name, Zone.restricted, Device.name)
        .join(Site, Site.id == SiteEvent.site_id)
        .outerjoin(Zone, Zone.id == SiteEvent.zone_id)
        .outerjoin(Device, Device.id == SiteEvent.device_id)
        .where(
            SiteEvent.identity == identity,
            SiteEvent.occurred_at >= since,
            SiteEvent.occurred_at <= until,
        )
    )
    if site_id is not None:
        query = query.where(SiteEvent.site_id == site_id)
    rows = uow.session.execute(
        query.order_by(SiteEvent.occurred_at, SiteEvent.received_at, SiteEvent.id).limit(limit)
    ).all()
    return [
        SightingOut(
            site_event_id=event.id,
            occurred_at=event.occurred_at,
            identity=identity,
            identity_kind=event.identity_kind,
            kind=event.kind,
            site_id=event.site_id,
            site_name=site_name,
            zone_id=event.zone_id,
            zone_name=zone_name,
            restricted=bool(restricted),
            device_id=event.device_id,
            device_name=device_name,
            alert_id=event.alert_id,
        )
        for event, site_name, zone_name, restricted, device_name in rows
    ]


def incident_identities(uow: UnitOfWork, incident_id: str) -> Sequence[tuple[str, str | None]]:
    """The ``(identity, identity_kind)`` pairs seen in the site events of the incident's
    linked alerts, by identity. Precondition: the caller may see the incident."""
    rows = uow.session.execute(
        select(SiteEvent.identity, SiteEvent.identity_kind)
        .join(Alert, Alert.id == SiteEvent.alert_id)
        .join(IncidentAlertGroup, IncidentAlertGroup.group_id == Alert.group_id)
        .where(IncidentAlertGroup.incident_id == incident_id, SiteEvent.identity.is_not(None))
        .distinct()
        .order_by(SiteEvent.identity, SiteEvent.identity_kind)
    ).all()
    return [(str(identity), kind) for identity, kind in rows]


def incident_trails(
    uow: UnitOfWork, incident_id: str, *, margin: timedelta = timedelta(hours=12)
) -> list[tuple[str, list[SightingOut]]]:
    """Each identity of the incident's alerts with its trail from ``margin`` before the
    incident was detected until now (the margin shows where it came from)."""
    incident = uow.session.get(Incident, incident_id)
    if incident is None:
        return []
    since = incident.detected_at - margin
    until = max(uow.now, since)
    if until - since > MAX_SPAN:
        since = until - MAX_SPAN
    return [
        (identity, identity_trail(uow, identity, since, until, limit=200))
        for identity, _kind in incident_identities(uow, incident_id)[:20]
    ]
