"""The status page as data for machines: an Atom feed (RFC 4287) of public updates and
the ``/status.json`` document. Pure: both are made from a :class:`StatusSnapshot`."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from typing import Any

from muster.clock import isoformat
from muster.domain.incidents.status_page import (
    PublicComponent,
    PublicIncident,
    PublicMaintenance,
    StatusSnapshot,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
MAX_ENTRIES = 100
FEED_TITLE = "Service status"


def _uuid_urn(value: str, *, base: str) -> str:
    """``urn:uuid:`` of ``value`` when it is a UUID, else a name-based UUID of it."""
    try:
        return uuid.UUID(value).urn
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"{base}#{value}").urn


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(snapshot: StatusSnapshot, base_url: str, *, title: str = FEED_TITLE) -> bytes:
    """One entry per public update (newest first), linking to its incident on the page."""
    page = f"{base_url}/status"
    ET.register_namespace("", ATOM_NS)
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(feed, "id", uuid.uuid5(uuid.NAMESPACE_URL, page).urn)
    _sub(feed, "title", title)
    entries = snapshot.all_updates()[:MAX_ENTRIES]
    newest = entries[0][1].posted_at if entries else snapshot.generated_at
    _sub(feed, "updated", isoformat(newest))
    _sub(feed, "link", rel="alternate", type="text/html", href=page)
    _sub(feed, "link", rel="self", type="application/atom+xml", href=f"{page}/feed.atom")
    author = _sub(feed, "author")
    _sub(author, "name", title)
    _sub(feed, "generator", "Muster")
    for incident, update in entries:
        entry = _sub(feed, "entry")
        _sub(entry, "id", _uuid_urn(update.id, base=page))
        _sub(entry, "title", f"{incident.title} — {update.status_label}")
        _sub(entry, "updated", isoformat(update.posted_at))
        _sub(entry, "published", isoformat(update.posted_at))
        _sub(entry, "link", rel="alternate", type="text/html",
             href=f"{page}#incident-{incident.id}")  # fmt: skip
        _sub(entry, "category", term=update.status, label=update.status_label)
        _sub(entry, "content", update.body, type="text")
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body


def _component(c: PublicComponent) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "status": c.status, "status_label": c.status_label}


def _incident(i: PublicIncident, base_url: str) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "impact": i.impact,
        "status": i.status,
        "started_at": isoformat(i.started_at),
        "updated_at": isoformat(i.updated_at),
        "resolved_at": isoformat(i.resolved_at) if i.resolved_at else None,
        "url": f"{base_url}/status#incident-{i.id}",
        "components": [{"id": c.id, "name": c.name} for c in i.components],
        "updates": [
            {"id": u.id, "status": u.status, "body": u.body, "posted_at": isoformat(u.posted_at)}
            for u in i.updates
        ],
    }


def _maintenance(m: PublicMaintenance) -> dict[str, Any]:
    return {
        "id": m.id,
        "title": m.title,
        "starts_at": isoformat(m.starts_at),
        "ends_at": isoformat(m.ends_at),
        "in_progress": m.in_progress,
        "components": [{"id": c.id, "name": c.name} for c in m.components],
    }


def status_document(snapshot: StatusSnapshot, base_url: str) -> dict[str, Any]:
    """The ``/status.json`` body: overall status, components, open incidents with their
    public updates, maintenance, and incidents resolved in the last 90 days."""
    return {
        "generated_at": isoformat(snapshot.generated_at),
        "page": {"url": f"{base_url}/status", "feed": f"{base_url}/status/feed.atom"},
        "status": {"indicator": snapshot.status, "description": snapshot.status_label},
        "components": [_component(c) for c in snapshot.components],
        "incidents": [_incident(i, base_url) for i in snapshot.incidents],
        "maintenance": [_maintenance(m) for m in snapshot.maintenance],
        "past_incidents": [_incident(i, base_url) for day in snapshot.past for i in day.incidents],
    }
