"""The web application factory."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from muster.domain.incidents.attachments import MAX_FILE_BYTES
from muster.web.api import action_items as action_items_api
from muster.web.api import alert_config as alert_config_api
from muster.web.api import alert_metrics as alert_metrics_api
from muster.web.api import alerts as alerts_api
from muster.web.api import audit as audit_api
from muster.web.api import correlation as correlation_api
from muster.web.api import drills as drills_api
from muster.web.api import escalation as escalation_api
from muster.web.api import events as events_api
from muster.web.api import evidence as evidence_api
from muster.web.api import incident_comms as incident_comms_api
from muster.web.api import incident_compliance as incident_compliance_api
from muster.web.api import incident_exports as incident_exports_api
from muster.web.api import incident_people as incident_people_api
from muster.web.api import incident_settings as incident_settings_api
from muster.web.api import incident_tasks as incident_tasks_api
from muster.web.api import incident_timeline as incident_timeline_api
from muster.web.api import incident_webhooks as incident_webhooks_api
from muster.web.api import incidents as incidents_api
from muster.web.api import integrations as integrations_api
from muster.web.api import investigation as investigation_api
from muster.web.api import metrics as metrics_api
from muster.web.api import notify as notify_api
from muster.web.api import oncall as oncall_api
from muster.web.api import oncall_health as oncall_health_api
from muster.web.api import playbook_approvals as playbook_approvals_api
from muster.web.api import playbooks as playbooks_api
from muster.web.api import regimes as regimes_api
from muster.web.api import retention as retention_api
from muster.web.api import reviews as reviews_api
from muster.web.api import schedule_changes as schedule_changes_api
from muster.web.api import schedules as schedules_api
from muster.web.api import secrets as secrets_api
from muster.web.api import services as services_api
from muster.web.api import sites as sites_api
from muster.web.api import sso as sso_api
from muster.web.api import teams as teams_api
from muster.web.api import tokens as tokens_api
from muster.web.api import users as users_api
from muster.web.calendar import router as calendar_router
from muster.web.context import AppContext
from muster.web.docs import mount_docs
from muster.web.health import router as health_router
from muster.web.ingest.asgi import mount_ingest
from muster.web.ingest.writer import IngestWriter
from muster.web.live import LiveHub
from muster.web.live import router as live_router
from muster.web.middleware import BodyLimit, MetricsAndHeaders
from muster.web.problems import install_error_handlers
from muster.web.ui import pages
from muster.web.ui.render import STATIC, render_error

API_PREFIX = "/api/v1"
# Incident file attachments, through the API and the UI form.
UPLOAD_PATHS = re.compile(
    r"/api/v1/incidents/[^/]+/files|/incidents/[^/]+/attachments/file"
    r"|(?:/api/v1)?/incidents/[^/]+/compliance/clocks/[^/]+/submissions"  # the document sent
)
# Evidence files (streamed to the evidence store), through the API and the UI form.
EVIDENCE_PATHS = re.compile(
    r"/api/v1/incidents/[^/]+/evidence/(?:upload|files)|/incidents/[^/]+/evidence/files"
)


def create_app(ctx: AppContext) -> FastAPI:
    writer = IngestWriter(ctx.db)
    hub = LiveHub(ctx.db)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            writer.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Muster",
        version="0.1.0",
        description="Incident response: intake, on-call, paging, incident command.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    for router in (
        users_api.router,
        users_api.me_router,
        teams_api.router,
        services_api.router,
        tokens_api.router,
        events_api.router,
        audit_api.router,
        integrations_api.router,
        alerts_api.router,
        alert_config_api.router,
        escalation_api.router,
        schedules_api.router,
        schedule_changes_api.router,
        oncall_api.router,
        notify_api.router,
        incident_webhooks_api.router,
        incident_exports_api.router,  # before incidents_api: /incidents/export is no id
        incidents_api.router,
        incident_people_api.router,
        incident_comms_api.router,
        incident_timeline_api.router,
        incident_tasks_api.router,
        investigation_api.router,
        incident_settings_api.router,
        secrets_api.router,
        playbook_approvals_api.router,
        playbooks_api.router,
        regimes_api.router,
        evidence_api.router,
        incident_compliance_api.router,
        action_items_api.router,
        metrics_api.router,
        alert_metrics_api.router,
        oncall_health_api.router,
        sso_api.router,
        retention_api.router,
        retention_api.runs_router,
        reviews_api.router,
        sites_api.router,
        sites_api.trail_router,
        correlation_api.router,
        drills_api.router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(health_router)
    app.include_router(calendar_router)
    mount_ingest(app, writer)  # before the shared middleware, which wraps it
    app.state.ingest_writer = writer
    app.state.live = hub
    app.include_router(live_router)
    mount_docs(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in pages.ROUTERS:
        app.include_router(router)
    install_error_handlers(app, render_error)
    app.add_middleware(
        BodyLimit,
        max_bytes=ctx.settings.max_request_bytes,
        upload_paths=UPLOAD_PATHS,
        upload_bytes=MAX_FILE_BYTES + 64 * 1024,  # the file and its multipart framing
        evidence_paths=EVIDENCE_PATHS,
        evidence_bytes=ctx.settings.evidence.max_bytes + 64 * 1024,
    )
    app.add_middleware(MetricsAndHeaders)
    return app
