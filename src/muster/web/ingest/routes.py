"""Inbound endpoints: Alertmanager, Grafana, generic JSON, heartbeats and the PagerDuty
Events API v2. Parse in the request, store through the ingest writer, answer after
commit.

Each endpoint takes the writer, the key from the path and the body, and returns a
:class:`Reply`; :mod:`muster.web.ingest.asgi` serves them (and documents them in the
OpenAPI description) without the web framework's per-request machinery.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.alerts.changes import do_record_change
from muster.domain.alerts.heartbeats import do_heartbeat_ping
from muster.domain.alerts.ingest import Outcome, do_ingest
from muster.domain.alerts.models import Integration
from muster.domain.alerts.routing import Rule
from muster.domain.physical.access_control import do_access_events
from muster.errors import InvalidInput, MusterError, NotFound, Problem, RateLimited, TooLarge
from muster.integrations.access_control import mapping_from_config, parse_access_events
from muster.integrations.alertmanager import parse_alertmanager
from muster.integrations.generic import parse_generic
from muster.integrations.generic_mapping import GenericMapping
from muster.integrations.grafana import parse_grafana
from muster.integrations.normalized import MAX_BODY_BYTES, InboundAlert, InboundBatch
from muster.integrations.pagerduty_v2 import (
    INVALID_EVENT,
    errors_as_pagerduty,
    parse_change,
    parse_enqueue,
)  # fmt: skip
from muster.integrations.security.common import SecurityBatch
from muster.integrations.security.formats import SECURITY_FORMATS
from muster.metrics import INGEST_LATENCY, INGEST_RECEIVED, INGEST_REJECTED
from muster.web.ingest.writer import Handler, IngestWriter
from muster.web.problems import PROBLEM_JSON

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class Reply:
    """What an endpoint answers: a status and a JSON body."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str = JSON


Endpoint = Callable[[IngestWriter, str, bytes], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Route:
    path: str  # with "{key}" where the path carries the integration key
    summary: str
    operation_id: str
    endpoint: Endpoint


def _check_size(body: bytes) -> bytes:
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return body


def _record(
    uow: UnitOfWork, integration: Integration, outcomes: Sequence[Outcome]
) -> dict[str, int]:
    """The outcomes counted by result; counted in the metrics once committed."""
    counts = {str(result): n for result, n in Counter(o.result for o in outcomes).items()}
    labels = (integration.id, integration.type)

    def count() -> None:
        for result, n in counts.items():
            INGEST_RECEIVED.labels(*labels, result).inc(n)

    uow.after_commit(count)
    return counts


def _batch_handler(batch: InboundBatch) -> Handler:
    def handle(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> dict[str, Any]:
        outcomes = do_ingest(uow, integration, batch.alerts, rules=rules)
        return {"status": "ok", "alerts": len(outcomes), "outcomes": _record(uow, integration, outcomes),
                "truncated_alerts": batch.truncated_alerts}  # fmt: skip

    return handle


async def _store(
    writer: IngestWriter, key: str, type: str, handler: Handler,
    alerts: Sequence[InboundAlert] = (),
) -> Any:  # fmt: skip
    """Hand the work to the writer and wait for its commit."""
    future = writer.submit(key, type, handler, cost=max(1, len(alerts)), alerts=alerts)
    return await asyncio.wrap_future(future)


async def _run(
    writer: IngestWriter, key: str, type: str, body: bytes,
    parse: Callable[[bytes], Any], make_handler: Callable[[Any], Handler], *, batch: bool = False,
) -> Reply:  # fmt: skip
    """Parse, store, answer 202 - or problem+json on failure."""
    started = time.perf_counter()
    try:
        parsed = parse(_check_size(body))
        result = await _store(
            writer, key, type, make_handler(parsed), parsed.alerts if batch else ()
        )
    except MusterError as exc:
        INGEST_REJECTED.labels(type, _reason(exc)).inc()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else {}
        if exc.status == 503:
            headers = {"Retry-After": "5"}
        if isinstance(exc, NotFound):
            exc = NotFound("no live integration has this key")
        # Senders get 400 for anything wrong with what they sent (malformed or invalid).
        status = 400 if isinstance(exc, InvalidInput) else exc.status
        problem = Problem(status, exc.title, exc.detail, exc.errors)
        return Reply(status, problem.as_dict(), headers, PROBLEM_JSON)
    INGEST_LATENCY.labels(type).observe(time.perf_counter() - started)
    return Reply(202, result)


def _reason(exc: MusterError) -> str:
    if isinstance(exc, InvalidInput):
        return "malformed"
    return {400: "malformed", 404: "unknown_key", 413: "too_large", 422: "invalid", 429: "rate_limited",
            503: "unavailable"}.get(exc.status, "error")  # fmt: skip


async def alertmanager(writer: IngestWriter, key: str, body: bytes) -> Reply:
    return await _run(writer, key, "alertmanager", body, parse_alertmanager, _batch_handler, batch=True)  # fmt: skip


async def grafana(writer: IngestWriter, key: str, body: bytes) -> Reply:
    return await _run(writer, key, "grafana", body, parse_grafana, _batch_handler, batch=True)


async def generic(writer: IngestWriter, key: str, body: bytes) -> Reply:
    def handler(body: bytes) -> Handler:
        def handle(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> Any:
            batch = parse_generic(body, GenericMapping.from_dict(integration.config.get("mapping")))
            return _batch_handler(batch)(uow, integration, rules)

        return handle

    return await _run(writer, key, "generic", body, lambda body: body, handler)


async def heartbeat(writer: IngestWriter, key: str, body: bytes) -> Reply:
    def handler(_: bytes) -> Handler:
        def handle(
            uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]
        ) -> dict[str, Any]:
            due = do_heartbeat_ping(uow, integration)
            return {"status": "ok", "next_ping_due_by": isoformat(due)}

        return handle

    return await _run(writer, key, "heartbeat", body, lambda body: body, handler)


async def access_control(writer: IngestWriter, key: str, body: bytes) -> Reply:
    """Access-control events in the integration's preset or mapped shape."""

    def handler(body: bytes) -> Handler:
        def handle(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> Any:
            batch = parse_access_events(body, mapping_from_config(integration.config))
            counts = do_access_events(uow, integration, batch)
            return {"status": "ok", "events": len(batch.events), **counts,
                    "truncated_events": batch.truncated}  # fmt: skip

        return handle

    return await _run(writer, key, "access_control", body, lambda body: body, handler)


def _security(type: str) -> Endpoint:
    """A security-tool endpoint (muster.integrations.security): its alerts are stored as a
    batch; the answer also counts the records that were not alerts (``ignored``)."""
    parse = SECURITY_FORMATS[type]

    def handler(parsed: SecurityBatch) -> Handler:
        store = _batch_handler(parsed.as_batch())

        def handle(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> Any:
            return {**store(uow, integration, rules), "ignored": parsed.ignored}

        return handle

    async def endpoint(writer: IngestWriter, key: str, body: bytes) -> Reply:
        return await _run(writer, key, type, body, parse, handler, batch=True)

    return endpoint


# ------------------------------------------------------------------ PagerDuty Events API v2

THROTTLED = {"status": "throttle exceeded",
             "message": "Requests for this service are arriving too quickly.  Please retry later."}  # fmt: skip


def _pd_error(exc: MusterError) -> Reply:
    if isinstance(exc, RateLimited):
        return Reply(429, THROTTLED, {"Retry-After": str(exc.retry_after)})
    if isinstance(exc, InvalidInput) or exc.status in (400, 413):
        return Reply(413 if exc.status == 413 else 400, {"status": "invalid event", "message": INVALID_EVENT,
                                                         "errors": errors_as_pagerduty(exc)})  # fmt: skip
    if isinstance(exc, NotFound):
        return Reply(404, {"status": "invalid event", "message": "Unknown routing key",
                           "errors": ["'routing_key' is not a live integration key"]})  # fmt: skip
    headers = {"Retry-After": "5"} if exc.status == 503 else {}
    return Reply(exc.status, {"status": "error", "message": exc.detail}, headers)


async def _pd_run(
    body: bytes, parse: Callable[[bytes], Any], store: Callable[[Any], Awaitable[Any]], type: str
) -> Reply:
    started = time.perf_counter()
    try:
        result = await store(parse(_check_size(body)))
    except MusterError as exc:
        INGEST_REJECTED.labels(type, _reason(exc)).inc()
        return _pd_error(exc)
    INGEST_LATENCY.labels(type).observe(time.perf_counter() - started)
    return Reply(202, result)


async def enqueue(writer: IngestWriter, _key: str, body: bytes) -> Reply:
    async def store(parsed: Any) -> Any:
        def run(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> dict[str, Any]:
            outcomes = do_ingest(uow, integration, [parsed.alert], rules=rules)
            _record(uow, integration, outcomes)
            return {
                "status": "success",
                "message": "Event processed",
                "dedup_key": outcomes[0].dedup_key,
            }

        return await _store(writer, parsed.routing_key, "pagerduty", run, [parsed.alert])

    return await _pd_run(body, parse_enqueue, store, "pagerduty")


async def change_enqueue(writer: IngestWriter, _key: str, body: bytes) -> Reply:
    async def store(parsed: Any) -> Any:
        def run(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> dict[str, Any]:
            do_record_change(uow, integration, parsed.change)
            labels = (integration.id, integration.type, "change")
            uow.after_commit(lambda: INGEST_RECEIVED.labels(*labels).inc())
            return {"status": "success", "message": "Change event processed"}

        return await _store(writer, parsed.routing_key, "pagerduty", run)

    return await _pd_run(body, parse_change, store, "pagerduty_change")


ROUTES = (
    Route("/ingest/alertmanager/{key}", "Prometheus Alertmanager webhook",
          "alertmanager_ingest_alertmanager__key__post", alertmanager),
    Route("/ingest/grafana/{key}", "Grafana alerting webhook",
          "grafana_ingest_grafana__key__post", grafana),
    Route("/ingest/generic/{key}", "Generic JSON with a stored field mapping",
          "generic_ingest_generic__key__post", generic),
    Route("/ingest/heartbeat/{key}", "A heartbeat ping", "heartbeat_ingest_heartbeat__key__post", heartbeat),
    Route("/ingest/access-control/{key}", "Access-control events (preset or mapped vendor JSON)",
          "access_control_ingest_access_control__key__post", access_control),
    Route("/ingest/wazuh/{key}", "Wazuh alerts (integrator JSON)", "wazuh_ingest_wazuh__key__post", _security("wazuh")),
    Route("/ingest/suricata/{key}", "Suricata EVE JSON lines (alerts; other events counted)",
          "suricata_ingest_suricata__key__post", _security("suricata")),
    Route("/ingest/falco/{key}", "Falco HTTP output", "falco_ingest_falco__key__post", _security("falco")),
    Route("/ingest/elastic/{key}", "Elastic Security alert webhook",
          "elastic_ingest_elastic__key__post", _security("elastic")),
    Route("/ingest/splunk/{key}", "Splunk webhook alert action", "splunk_ingest_splunk__key__post", _security("splunk")),
    Route("/ingest/cef/{key}", "CEF records, one a line", "cef_ingest_cef__key__post", _security("cef")),
    Route("/v2/enqueue", "PagerDuty Events API v2 compatible", "enqueue_v2_enqueue_post", enqueue),
    Route("/v2/change/enqueue", "PagerDuty change events (never page)",
          "change_enqueue_v2_change_enqueue_post", change_enqueue),
)  # fmt: skip
