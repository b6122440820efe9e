"""Liveness, readiness and metrics."""

from __future__ import annotations

import dataclasses

from fastapi.testclient import TestClient
from sqlalchemy import text

from helpers import Person
from muster.config import Settings
from muster.db.migrate import head_revision
from muster.db.uow import Database
from muster.web.app import create_app
from muster.web.context import AppContext


def test_healthz_and_readyz(client: TestClient, settings: Settings) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["migrations"] == head_revision(settings.database_url)


def test_readyz_fails_when_migrations_are_behind(settings: Settings, db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    app = create_app(AppContext(settings=settings, db=db, clock=db.clock))
    with TestClient(app) as c:
        r = c.get("/readyz")
    assert r.status_code == 503
    assert f"need {head_revision(settings.database_url)}" in r.json()["migrations"]


def test_metrics_count_requests_by_route(client: TestClient, people: dict[str, Person]) -> None:
    client.get("/api/v1/teams", headers=people["viewer"].auth)
    client.get("/api/v1/teams/abc", headers=people["viewer"].auth)
    body = client.get("/metrics").text
    assert 'muster_http_requests_total{method="GET",route="/api/v1/teams",status="200"}' in body
    assert 'route="/api/v1/teams/{team_id}",status="404"' in body
    assert "muster_http_request_duration_seconds_bucket" in body
    assert "muster_engine_module_runs_total" in body or "muster_engine_module_runs" in body


def test_a_scrape_token_guards_metrics(settings: Settings, db: Database) -> None:
    guarded = dataclasses.replace(settings, metrics_token="scrape-secret")
    app = create_app(AppContext(settings=guarded, db=db, clock=db.clock))
    with TestClient(app) as c:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "scrape-secret"},
                        {"Authorization": "Basic scrape-secret"}):  # fmt: skip
            refused = c.get("/metrics", headers=headers)
            assert refused.status_code == 401, headers
            assert refused.headers["content-type"].startswith("application/problem+json")
            assert "scrape token" in refused.json()["detail"]
            assert "muster_http_requests_total" not in refused.text
        allowed = c.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
        assert allowed.status_code == 200
        assert "muster_http_requests_total" in allowed.text
        assert c.get("/healthz").status_code == 200  # the probes stay open


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    for path in ("/login", "/healthz"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
