"""Alert injects through the real intake code of every format.

An inject's payload, its vendor timestamps moved to the moment it fires
(:mod:`muster.domain.drills.inject_time`), is turned into the bytes its tool would send
(:func:`body_of`) and read by the same parser the format's ingest endpoint uses
(:mod:`muster.web.ingest.routes`): Alertmanager, Grafana, generic JSON, PagerDuty Events
v2, the security tools (:data:`muster.integrations.security.formats.SECURITY_FORMATS`),
access-control webhooks (with the inject's vendor preset) and Frigate messages. What the
parser yields is stored as the endpoint stores it: :func:`do_ingest` for alert formats,
:func:`do_access_events` / :func:`do_frigate_message` for physical ones (site events,
device health and alerts at the run's exercise site).

:func:`payload_problem` is the same parsing without storing, for checking a scenario
when it is applied. :func:`integration_config` is what the run's exercise integration
of a format is configured with.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from muster.db.uow import UnitOfWork
from muster.domain.alerts.ingest import do_ingest
from muster.domain.alerts.models import Alert, Integration
from muster.domain.drills.exercise_site import ensure_devices
from muster.domain.drills.inject_time import at_fire_time
from muster.domain.physical.access_control import do_access_events
from muster.domain.physical.frigate import do_frigate_message, review_dedup_key
from muster.domain.sites.models import SiteEvent
from muster.errors import MusterError
from muster.integrations.access_control import AccessBatch, mapping_from_config, parse_access_events
from muster.integrations.alertmanager import parse_alertmanager
from muster.integrations.frigate import FrigateMessage, Review, parse_frigate
from muster.integrations.generic import parse_generic
from muster.integrations.generic_mapping import GenericMapping
from muster.integrations.grafana import parse_grafana
from muster.integrations.normalized import InboundAlert
from muster.integrations.pagerduty_v2 import parse_enqueue
from muster.integrations.security.formats import SECURITY_FORMATS

# The exercise integration of the generic format reads these fields of a payload.
GENERIC_MAPPING = {
    "summary": "$.summary", "severity": "$.severity", "dedup_key": "$.dedup_key",
    "source": "$.source", "details": "$.details", "action": "$.action",
}  # fmt: skip
FRIGATE_PREFIX = "frigate"
# Exercise Frigate integrations are fed by the drill, never subscribed to (the MQTT
# intake leaves exercise integrations alone); the broker address is only to be valid.
EXERCISE_BROKER = "mqtt://exercise.invalid"
PLACEHOLDER_KEY = "0" * 32


def body_of(payload: object) -> bytes:
    """The bytes a tool would send: a string as it is, a list as JSON lines, anything
    else as JSON."""
    if isinstance(payload, str):
        return payload.encode()
    if isinstance(payload, list):
        return "\n".join(json.dumps(item) for item in payload).encode()
    return json.dumps(payload).encode()


def integration_config(format: str, *, preset: str | None, site_id: str | None) -> dict[str, Any]:
    """The config of a run's exercise integration of ``format`` (``preset`` for
    access control; ``site_id``: the run's exercise site, for physical formats)."""
    if format == "generic":
        return {"mapping": GENERIC_MAPPING}
    if format == "access_control":
        return {"site_id": site_id, "preset": preset or "muster"}
    if format == "frigate":
        return {"site_id": site_id, "broker_url": EXERCISE_BROKER, "topic_prefix": FRIGATE_PREFIX}
    return {}


def parse_alerts(
    format: str, payload: object, config: dict[str, Any], key: str
) -> list[InboundAlert] | AccessBatch | FrigateMessage | None:
    """What the format's endpoint parses out of ``payload`` (InvalidInput naming the
    problem when malformed); ``None`` for a Frigate topic Muster does not use."""
    body = body_of(payload)
    if format == "alertmanager":
        return list(parse_alertmanager(body).alerts)
    if format == "grafana":
        return list(parse_grafana(body).alerts)
    if format == "pagerduty":
        doc = payload if isinstance(payload, dict) else {}
        return [parse_enqueue(body_of({**doc, "routing_key": key})).alert]
    if format == "generic":
        return list(parse_generic(body, GenericMapping.from_dict(config["mapping"])).alerts)
    if format in SECURITY_FORMATS:
        return list(SECURITY_FORMATS[format](body).as_batch().alerts)
    if format == "access_control":
        return parse_access_events(body, mapping_from_config(config))
    if format == "frigate":
        prefix = str(config.get("topic_prefix") or FRIGATE_PREFIX)
        return parse_frigate(prefix, f"{prefix}/{config.get('topic') or 'reviews'}", body)
    raise MusterError(f"no intake format {format!r}")


def payload_problem(definition: dict[str, Any]) -> str | None:
    """Why an alert inject's payload would be refused by its format's parser, if it
    would (checked without storing anything)."""
    format = str(definition.get("format"))
    config = integration_config(format, preset=definition.get("preset"), site_id="-")
    config["topic"] = definition.get("topic")
    try:
        parsed = parse_alerts(format, definition.get("payload"), config, PLACEHOLDER_KEY)
    except MusterError as exc:
        details = "; ".join(f"{e.field}: {e.reason}" for e in exc.errors[:5])
        return f"{format} intake refuses it: {details or exc.detail or exc.title}"
    if parsed is None:
        return f"frigate intake ignores the topic {definition.get('topic')!r}"
    return None


def ingest_inject(
    uow: UnitOfWork, integration: Integration, definition: dict[str, Any]
) -> dict[str, Any]:
    """Send an alert inject's payload through ``integration``'s intake, its vendor
    timestamps moved to now (see :mod:`muster.domain.drills.inject_time`); what it did."""
    format = str(definition["format"])
    config = {**integration.config, "topic": definition.get("topic")}
    payload = at_fire_time(format, definition["payload"], config, uow.now)
    parsed = parse_alerts(format, payload, config, integration.key)
    if isinstance(parsed, list):
        outcomes = do_ingest(uow, integration, parsed)
        return {"alert_ids": [o.alert_id for o in outcomes if o.alert_id],
                "results": [o.result for o in outcomes]}  # fmt: skip
    if not isinstance(parsed, list) and parsed is not None:
        ensure_devices(uow, str(integration.config["site_id"]), parsed)
    if isinstance(parsed, AccessBatch):
        counts = do_access_events(uow, integration, parsed)
        return {"alert_ids": _alerts_now(uow, integration), "results": [], "events": counts}
    if parsed is None:
        raise MusterError("frigate intake ignores this topic")
    result = do_frigate_message(uow, integration, parsed)
    ids: list[str] = []
    if isinstance(parsed, Review):
        ids = list(uow.session.scalars(select(Alert.id).where(
            Alert.integration_id == integration.id,
            Alert.dedup_key == review_dedup_key(parsed.review_id),
        )))  # fmt: skip
    return {"alert_ids": ids, "results": [result]}


def _alerts_now(uow: UnitOfWork, integration: Integration) -> list[str]:
    """The alerts the site events ``integration`` recorded just now raised."""
    uow.flush()
    found = uow.session.scalars(
        select(SiteEvent.alert_id).where(
            SiteEvent.integration_id == integration.id,
            SiteEvent.received_at >= uow.now,
            SiteEvent.alert_id.is_not(None),
        )
    )
    return list(dict.fromkeys(str(a) for a in found))
