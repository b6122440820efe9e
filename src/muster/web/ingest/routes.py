"""Inbound endpoints: Alertmanager, Grafana, generic JSON, heartbeats and the PagerDuty
Events API v2. Parse in the request, store through the ingest writer, answer after
commit."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from muster.clock import isoformat
from muster.db.uow import UnitOfWork
from muster.domain.alerts.changes import do_record_change
from muster.domain.alerts.heartbeats import do_heartbeat_ping
from muster.domain.alerts.ingest import Outcome, do_ingest
from muster.domain.alerts.models import Integration
from muster.domain.alerts.routing import Rule
from muster.errors import (
    InvalidInput,
    MusterError,
    NotFound,
    Problem,
    RateLimited,
    TooLarge,
)
from muster.integrations.alertmanager import parse_alertmanager
from muster.integrations.generic import parse_generic
from muster.integrations.generic_mapping import GenericMapping
from muster.integrations.grafana import parse_grafana
from muster.integrations.normalized import MAX_BODY_BYTES, InboundBatch
from muster.integrations.pagerduty_v2 import (
    INVALID_EVENT,
    errors_as_pagerduty,
    parse_change,
    parse_enqueue,
)  # fmt: skip
from muster.metrics import INGEST_LATENCY, INGEST_RECEIVED, INGEST_REJECTED
from muster.web.ingest.writer import IngestWriter
from muster.web.problems import problem_response

router = APIRouter(include_in_schema=True, tags=["ingest"])


def writer(request: Request) -> IngestWriter:
    w: IngestWriter = request.app.state.ingest_writer
    return w


async def _body(request: Request) -> bytes:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        raise TooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return body


def _record(integration: Integration, outcomes: Sequence[Outcome]) -> dict[str, int]:
    counts = Counter(o.result for o in outcomes)
    for result, n in counts.items():
        INGEST_RECEIVED.labels(integration.id, integration.type, result).inc(n)
    return {str(result): n for result, n in counts.items()}


def _batch_handler(
    batch: InboundBatch,
) -> Callable[[UnitOfWork, Integration, Sequence[Rule]], dict[str, Any]]:
    def handle(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> dict[str, Any]:
        outcomes = do_ingest(uow, integration, batch.alerts, rules=rules)
        return {"status": "ok", "alerts": len(outcomes), "outcomes": _record(integration, outcomes),
                "truncated_alerts": batch.truncated_alerts}  # fmt: skip

    return handle


async def _run(request: Request, key: str, type: str, parse: Callable[[bytes], Any],
               make_handler: Callable[[Any], Any], *, cost: Callable[[Any], int] = lambda _: 1) -> Response:  # fmt: skip
    """Parse, submit to the writer, await the commit, answer problem+json on failure."""
    started = time.perf_counter()
    try:
        parsed = parse(await _body(request))
        future = writer(request).submit(key, type, make_handler(parsed), cost=cost(parsed))
        result = await asyncio.wrap_future(future)
    except MusterError as exc:
        INGEST_REJECTED.labels(type, _reason(exc)).inc()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        if isinstance(exc, NotFound):
            exc = NotFound("no live integration has this key")
        # Senders get 400 for anything wrong with what they sent (malformed or invalid).
        status = 400 if isinstance(exc, InvalidInput) else exc.status
        return problem_response(Problem(status, exc.title, exc.detail, exc.errors), headers)
    INGEST_LATENCY.labels(type).observe(time.perf_counter() - started)
    return JSONResponse(result, status_code=202)


def _reason(exc: MusterError) -> str:
    if isinstance(exc, InvalidInput):
        return "malformed"
    return {400: "malformed", 404: "unknown_key", 413: "too_large", 422: "invalid", 429: "rate_limited",
            503: "unavailable"}.get(exc.status, "error")  # fmt: skip


@router.post(
    "/ingest/alertmanager/{key}", status_code=202, summary="Prometheus Alertmanager webhook"
)
async def alertmanager(key: str, request: Request) -> Response:
    return await _run(request, key, "alertmanager", parse_alertmanager, _batch_handler,
                      cost=lambda b: max(1, len(b.alerts)))  # fmt: skip


@router.post("/ingest/grafana/{key}", status_code=202, summary="Grafana alerting webhook")
async def grafana(key: str, request: Request) -> Response:
    return await _run(request, key, "grafana", parse_grafana, _batch_handler,
                      cost=lambda b: max(1, len(b.alerts)))  # fmt: skip


@router.post(
    "/ingest/generic/{key}", status_code=202, summary="Generic JSON with a stored field mapping"
)
async def generic(key: str, request: Request) -> Response:
    def handler(body: bytes) -> Callable[[UnitOfWork, Integration, Sequence[Rule]], dict[str, Any]]:
        def handle(
            uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]
        ) -> dict[str, Any]:
            batch = parse_generic(body, GenericMapping.from_dict(integration.config.get("mapping")))
            return _batch_handler(batch)(uow, integration, rules)

        return handle

    return await _run(request, key, "generic", lambda body: body, handler)


@router.post("/ingest/heartbeat/{key}", status_code=202, summary="A heartbeat ping")
async def heartbeat(key: str, request: Request) -> Response:
    def handler(_: bytes) -> Callable[[UnitOfWork, Integration, Sequence[Rule]], dict[str, Any]]:
        def handle(
            uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]
        ) -> dict[str, Any]:
            due = do_heartbeat_ping(uow, integration)
            return {"status": "ok", "next_ping_due_by": isoformat(due)}

        return handle

    return await _run(request, key, "heartbeat", lambda body: body, handler)


# ------------------------------------------------------------------ PagerDuty Events API v2

THROTTLED = {"status": "throttle exceeded",
             "message": "Requests for this service are arriving too quickly.  Please retry later."}  # fmt: skip


def _pd_error(exc: MusterError) -> Response:
    if isinstance(exc, RateLimited):
        return JSONResponse(
            THROTTLED, status_code=429, headers={"Retry-After": str(exc.retry_after)}
        )
    if isinstance(exc, InvalidInput) or exc.status in (400, 413):
        return JSONResponse({"status": "invalid event", "message": INVALID_EVENT,
                             "errors": errors_as_pagerduty(exc)}, status_code=400 if exc.status != 413 else 413)  # fmt: skip
    if isinstance(exc, NotFound):
        return JSONResponse({"status": "invalid event", "message": "Unknown routing key",
                             "errors": ["'routing_key' is not a live integration key"]}, status_code=404)  # fmt: skip
    headers = {"Retry-After": "5"} if exc.status == 503 else None
    return JSONResponse(
        {"status": "error", "message": exc.detail}, status_code=exc.status, headers=headers
    )


async def _pd_run(
    request: Request, parse: Callable[[bytes], Any], handle: Callable[[Any], Any], type: str
) -> Response:
    started = time.perf_counter()
    try:
        parsed = parse(await _body(request))
        result = await asyncio.wrap_future(
            writer(request).submit(parsed.routing_key, "pagerduty", handle(parsed))
        )
    except MusterError as exc:
        INGEST_REJECTED.labels(type, _reason(exc)).inc()
        return _pd_error(exc)
    INGEST_LATENCY.labels(type).observe(time.perf_counter() - started)
    return JSONResponse(result, status_code=202)


@router.post("/v2/enqueue", status_code=202, summary="PagerDuty Events API v2 compatible")
async def enqueue(request: Request) -> Response:
    def handle(parsed: Any) -> Callable[[UnitOfWork, Integration, Sequence[Rule]], dict[str, Any]]:
        def run(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> dict[str, Any]:
            outcomes = do_ingest(uow, integration, [parsed.alert], rules=rules)
            _record(integration, outcomes)
            return {
                "status": "success",
                "message": "Event processed",
                "dedup_key": outcomes[0].dedup_key,
            }

        return run

    return await _pd_run(request, parse_enqueue, handle, "pagerduty")


@router.post("/v2/change/enqueue", status_code=202, summary="PagerDuty change events (never page)")
async def change_enqueue(request: Request) -> Response:
    def handle(parsed: Any) -> Callable[[UnitOfWork, Integration, Sequence[Rule]], dict[str, Any]]:
        def run(uow: UnitOfWork, integration: Integration, rules: Sequence[Rule]) -> dict[str, Any]:
            do_record_change(uow, integration, parsed.change)
            INGEST_RECEIVED.labels(integration.id, integration.type, "change").inc()
            return {"status": "success", "message": "Change event processed"}

        return run

    return await _pd_run(request, parse_change, handle, "pagerduty_change")
