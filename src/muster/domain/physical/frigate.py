"""Frigate's messages (parsed by :mod:`muster.integrations.frigate`) become alerts, site
events and camera health.

* A review of severity ``alert`` opens one alert through intake, keyed
  ``frigate:<review id>`` (a redelivered or updated review de-duplicates onto it), placed
  at the camera's site and zone; its labels carry the camera, objects, zones and
  sub-labels (recognised faces or plates), its links Frigate's snapshot and clip of each
  tracked object. Each object label (per recognised identity) is a ``detected:<label>``
  site event linked to the alert; an update adding objects or identities adds theirs.
  A review's end keeps the alert open by default (someone still has to look: Frigate's
  own review items wait to be reviewed); with ``resolve_on_end`` it resolves it.
  Reviews of severity ``detection`` raise nothing but tie their objects to the review.
* Tracked objects (``frigate/events``) are the per-object trail: a site event when the
  object first appears, enters a new zone or is recognised, linked to its review's
  alert (now, or once the review is known). False positives are ignored. A Frigate zone
  named like a zone of the site places the event in that zone, else the camera's zone.
* ``available`` and ``<camera>/status/detect`` set camera health.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.models import Alert, Integration
from muster.domain.physical.devices import (
    INTAKE,
    device_for,
    integration_site_id,
    short,
    zone_named,
)
from muster.domain.physical.models import FrigateObject
from muster.domain.sites.activity import do_record_site_event, do_set_device_health
from muster.domain.sites.models import Device, SiteEvent
from muster.domain.sites.placement import place_alert
from muster.integrations.frigate import (
    Availability,
    CameraStatus,
    FrigateMessage,
    Review,
    TrackedObject,
)  # fmt: skip
from muster.integrations.normalized import InboundAlert, Link, Severity

MAX_LINKED = 10  # detections whose snapshot and clip are linked from the alert


def do_frigate_message(uow: UnitOfWork, integration: Integration, message: FrigateMessage) -> str:
    """Apply one message; returns what it did (for counters and logs)."""
    if isinstance(message, Review):
        return _review(uow, integration, message)
    if isinstance(message, TrackedObject):
        return _tracked_object(uow, integration, message)
    if isinstance(message, Availability):
        return _availability(uow, integration, message)
    return _camera_status(uow, integration, message)


def review_dedup_key(review_id: str) -> str:
    return f"frigate:{review_id}"


def media_links(integration: Integration, event_ids: tuple[str, ...]) -> list[Link]:
    """Snapshot and clip of each tracked object, on the configured Frigate."""
    base = str(integration.config.get("frigate_url") or "").rstrip("/")
    if not base:
        return []
    links: list[Link] = []
    for event_id in event_ids[:MAX_LINKED]:
        links.append(Link(f"{base}/api/events/{event_id}/snapshot.jpg", f"Snapshot {event_id}"))
        links.append(Link(f"{base}/api/events/{event_id}/clip.mp4", f"Clip {event_id}"))
    return links


# ------------------------------------------------------------------ reviews


def _review(uow: UnitOfWork, integration: Integration, review: Review) -> str:
    camera = device_for(uow, integration, "camera", review.camera)
    if review.severity != "alert":
        _tie_objects(uow, integration, review, None)
        return "detection"
    key = review_dedup_key(review.review_id)
    if review.phase == "end" and integration.config.get("resolve_on_end"):
        inbound = InboundAlert(action="resolve", dedup_key=key, summary="review ended",
                               severity="info", source=f"frigate:{review.camera}")  # fmt: skip
        outcome = do_ingest(uow, integration, [inbound])[0]
        return outcome.result
    outcome = do_ingest(uow, integration, [_inbound(integration, review)])[0]
    uow.flush()
    alert = uow.session.get(Alert, outcome.alert_id) if outcome.alert_id else None
    if alert is None:
        return outcome.result
    if outcome.result in ("created", "suppressed"):
        place_alert(uow, alert, camera, actor=INTAKE)
    else:
        _merge_into(alert, integration, review)
    _detections_as_site_events(uow, integration, review, camera, alert)
    _tie_objects(uow, integration, review, alert.id)
    return outcome.result


def _inbound(integration: Integration, review: Review) -> InboundAlert:
    what = ", ".join(review.objects or review.audio) or "activity"
    where = f" in {', '.join(review.zones)}" if review.zones else ""
    who = f" ({', '.join(review.sub_labels)})" if review.sub_labels else ""
    severity: Severity = integration.config.get("alert_severity", "error")
    return InboundAlert(
        action="trigger", dedup_key=review_dedup_key(review.review_id),
        summary=f"{what} on {review.camera}{where}{who}", severity=severity,
        source=f"frigate:{review.camera}", component=review.camera, class_="frigate_review",
        labels=_labels(review), links=media_links(integration, review.detections),
        custom_details={"review_id": review.review_id, "detections": list(review.detections)},
        occurred_at=review.started_at, raw=review.raw,
    )  # fmt: skip


def _labels(review: Review) -> dict[str, str]:
    return short({
        "camera": review.camera, "objects": ",".join(review.objects),
        "zones": ",".join(review.zones), "sub_labels": ",".join(review.sub_labels),
        "audio": ",".join(review.audio), "review_id": review.review_id,
    })  # fmt: skip


def _merge_into(alert: Alert, integration: Integration, review: Review) -> None:
    """An update of the review widens the alert: more objects, zones, identities, links."""
    labels = dict(alert.labels)
    for name, values in (("objects", review.objects), ("zones", review.zones),
                         ("sub_labels", review.sub_labels), ("audio", review.audio)):  # fmt: skip
        merged = list(dict.fromkeys([*filter(None, labels.get(name, "").split(",")), *values]))
        if merged:
            labels[name] = ",".join(merged)
    if labels != alert.labels:
        alert.labels = labels
    hrefs = {link.get("href") for link in alert.links}
    new = [{"href": link.href, "text": link.text} for link in media_links(integration, review.detections)
           if link.href not in hrefs]  # fmt: skip
    if new:
        alert.links = [*alert.links, *new]
    details: dict[str, Any] = dict(alert.custom_details)
    details["detections"] = list(
        dict.fromkeys([*details.get("detections", []), *review.detections])
    )
    if review.ended_at is not None:
        details["ended_at"] = review.ended_at.isoformat()
    if details != alert.custom_details:
        alert.custom_details = details


def _detections_as_site_events(
    uow: UnitOfWork, integration: Integration, review: Review, camera: Device, alert: Alert
) -> None:
    """One ``detected:<label>`` site event per object label and recognised identity, once."""
    kind_of_identity = review.identity_kind
    done = {
        (kind, identity)
        for kind, identity in uow.session.execute(
            select(SiteEvent.kind, SiteEvent.identity).where(SiteEvent.alert_id == alert.id)
        )
    }
    zone = zone_named(uow, camera.site_id, review.zones)
    for label in review.objects or ("activity",):
        identities: tuple[str | None, ...] = (
            review.sub_labels if _names_identity_of(review, label) else (None,)
        )
        for identity in identities:
            kind = f"detected:{label}"
            if (kind, identity) in done:
                continue
            done.add((kind, identity))
            event = SiteEvent(
                site_id=camera.site_id, zone_id=zone.id if zone else camera.zone_id,
                device_id=camera.id, integration_id=integration.id, kind=kind, identity=identity,
                identity_kind=kind_of_identity if identity else None, occurred_at=review.started_at,
                received_at=uow.now, alert_id=alert.id,
                data=short({"source": "frigate_review", "review_id": review.review_id,
                            "camera": review.camera, "zones": list(review.zones)}),
            )  # fmt: skip
            do_record_site_event(uow, event, device=camera, actor=INTAKE)


def _names_identity_of(review: Review, label: str) -> bool:
    """Whether the review's sub-labels name objects of ``label`` (faces are people's,
    plates vehicles'; with one kind of object, that one's)."""
    kind = review.identity_kind
    if not review.sub_labels:
        return False
    if kind is None:
        return len(review.objects) == 1
    return (kind == "face") == (label == "person")


def _tie_objects(
    uow: UnitOfWork, integration: Integration, review: Review, alert_id: str | None
) -> None:
    """The review's tracked objects belong to it (and its alert); their site events so far
    are linked to the alert."""
    if not review.detections:
        return
    known = {
        obj.event_id: obj
        for obj in uow.session.scalars(
            select(FrigateObject).where(
                FrigateObject.integration_id == integration.id,
                FrigateObject.event_id.in_(review.detections),
            )
        )
    }
    for event_id in review.detections:
        obj = known.get(event_id)
        if obj is None:
            obj = _new_object(integration, event_id, review.camera, "", uow)
            uow.session.add(obj)
        obj.review_id = review.review_id
        if alert_id is not None and obj.alert_id != alert_id:
            obj.alert_id = alert_id
            for site_event in _site_events(uow, obj):
                if site_event.alert_id is None:
                    site_event.alert_id = alert_id


def _site_events(uow: UnitOfWork, obj: FrigateObject) -> list[SiteEvent]:
    if not obj.site_event_ids:
        return []
    return list(uow.session.scalars(select(SiteEvent).where(SiteEvent.id.in_(obj.site_event_ids))))


def _new_object(
    integration: Integration, event_id: str, camera: str, label: str, uow: UnitOfWork
) -> FrigateObject:
    return FrigateObject(integration_id=integration.id, event_id=event_id, camera=camera, label=label,
                         zones=[], site_event_ids=[], first_seen=uow.now, last_seen=uow.now)  # fmt: skip


# ------------------------------------------------------------------ tracked objects


def _tracked_object(uow: UnitOfWork, integration: Integration, tracked: TrackedObject) -> str:
    if tracked.false_positive:
        return "false_positive"
    camera = device_for(uow, integration, "camera", tracked.camera)
    obj = uow.session.scalar(
        select(FrigateObject).where(
            FrigateObject.integration_id == integration.id,
            FrigateObject.event_id == tracked.event_id,
        )
    )
    if obj is None:
        obj = _new_object(integration, tracked.event_id, tracked.camera, tracked.label, uow)
        uow.session.add(obj)
    obj.label, obj.last_seen = tracked.label, uow.now
    if tracked.phase == "end" or tracked.ended_at is not None:
        obj.ended_at = tracked.ended_at or uow.now
    identity = tracked.identity
    zones = list(dict.fromkeys([*tracked.entered_zones, *tracked.current_zones]))
    first = not obj.site_event_ids
    new_zones = [zone for zone in zones if zone not in obj.zones]
    recognised = identity is not None and identity[0] != obj.identity
    if not (first or new_zones or recognised):
        return "unchanged"
    obj.zones = list(dict.fromkeys([*obj.zones, *zones]))
    if identity is not None:
        obj.identity = identity[0]
    zone = zone_named(uow, camera.site_id, tuple(new_zones or tracked.current_zones))
    event = SiteEvent(
        site_id=camera.site_id, zone_id=zone.id if zone else camera.zone_id, device_id=camera.id,
        integration_id=integration.id, kind=f"detected:{tracked.label}",
        identity=identity[0] if identity else None, identity_kind=identity[1] if identity else None,
        occurred_at=tracked.started_at if first else uow.now, received_at=uow.now,
        alert_id=obj.alert_id,
        data=short({"source": "frigate_event", "event_id": tracked.event_id, "camera": tracked.camera,
                    "phase": tracked.phase, "zones": zones, "new_zones": new_zones,
                    "score": tracked.top_score,
                    "links": [link.href for link in media_links(integration, (tracked.event_id,))]}),
    )  # fmt: skip
    do_record_site_event(uow, event, device=camera, actor=INTAKE)
    obj.site_event_ids = [*obj.site_event_ids, event.id]
    return "observed"


# ------------------------------------------------------------------ health


def _availability(uow: UnitOfWork, integration: Integration, message: Availability) -> str:
    """Frigate down: its cameras are offline; back: online until a camera says otherwise."""
    names = set(
        uow.session.scalars(
            select(FrigateObject.camera)
            .where(FrigateObject.integration_id == integration.id)
            .distinct()
        )
    )
    cameras = uow.session.scalars(
        select(Device).where(
            Device.kind == "camera",
            (Device.site_id == integration_site_id(integration)) | Device.external_id.in_(names),
        )
    ).all()
    for camera in cameras:
        do_set_device_health(uow, camera, message.online, uow.now, actor=INTAKE)
    return "online" if message.online else "offline"


def _camera_status(uow: UnitOfWork, integration: Integration, status: CameraStatus) -> str:
    if status.role != "detect":
        return "ignored"
    camera = device_for(uow, integration, "camera", status.camera)
    do_set_device_health(uow, camera, status.status == "online", uow.now, actor=INTAKE)
    return status.status
