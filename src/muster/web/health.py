"""/healthz (process up), /readyz (database reachable, migrations current), /health
(the state of inbound subscriptions: counts for anyone, details for a signed-in caller),
/metrics (open, or behind a bearer token: ``MUSTER_METRICS_TOKEN``)."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from muster.db.migrate import current_revision, head_revision
from muster.domain.physical.connections import connection_views
from muster.errors import NotAuthenticated
from muster.metrics import REGISTRY
from muster.web.auth import identify
from muster.web.context import AppContext, app_context

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz(ctx: AppContext = Depends(app_context)) -> Response:
    try:
        with ctx.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = current_revision(ctx.db.engine)
    except SQLAlchemyError as exc:
        return JSONResponse({"status": "unavailable", "database": str(exc.__class__.__name__)}, 503)
    head = head_revision(ctx.settings.database_url)
    if current != head:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "migrations": f"at {current}, need {head}"},
            503,
        )
    return JSONResponse({"status": "ok", "database": "ok", "migrations": current})


@router.get("/health")
def health(request: Request, ctx: AppContext = Depends(app_context)) -> Response:
    """Details of inbound subscriptions. ``status`` is ``degraded`` while any MQTT
    integration's subscriber is not connected; ``mqtt`` counts them. Anyone may ask (load
    balancers do); only a signed-in caller (session or API token) also gets
    ``mqtt_integrations``: each one's name and state (connected, since when, last error)."""
    caller = identify(request, ctx)
    with ctx.db.unit_of_work(readonly=True) as uow:
        views = connection_views(uow)
    connected = sum(v.connected for v in views)
    body: dict[str, object] = {
        "status": "ok" if connected == len(views) else "degraded",
        "mqtt": {"connected": connected, "total": len(views)},
    }
    if caller is not None:
        body["mqtt_integrations"] = [
            {"integration_id": v.integration_id, "name": v.name, "type": v.type,
             "connected": v.connected, "stale": v.stale,
             "since": v.since.isoformat() if v.since else None,
             "last_message_at": v.last_message_at.isoformat() if v.last_message_at else None,
             "last_error": v.last_error, "reconnect_attempts": v.attempts}
            for v in views
        ]  # fmt: skip
    return JSONResponse(body)


@router.get("/metrics")
def metrics(request: Request, ctx: AppContext = Depends(app_context)) -> Response:
    """Prometheus metrics; with a scrape token configured, only for who presents it."""
    expected = ctx.settings.metrics_token
    if expected is not None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), expected.encode()):
            raise NotAuthenticated(
                "GET /metrics needs the scrape token: Authorization: Bearer <token>"
            )
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
