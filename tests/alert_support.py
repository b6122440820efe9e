"""Helpers for alert UI tests: a team and services made through the API, integrations,
and alerts sent the way a monitoring system sends them (PagerDuty Events API v2)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person
from muster.db.uow import Database
from muster.domain.alerts.models import Alert, Integration

Client = TestClient | httpx.Client


def make_service(client: Client, manager: Person, name: str, team: str = "Core") -> str:
    """A service (and, the first time, its team) made through the API; returns its id."""
    auth = manager.auth
    teams = client.get("/api/v1/teams", headers=auth).json()["items"]
    team_id = next((t["id"] for t in teams if t["name"] == team), None)
    if team_id is None:
        team_id = client.post("/api/v1/teams", json={"name": team}, headers=auth).json()["id"]
    r = client.post("/api/v1/services", json={"name": name, "team_id": team_id}, headers=auth)
    assert r.status_code == 201, r.text
    service_id: str = r.json()["id"]
    return service_id


def make_integration(
    client: Client, manager: Person, service_id: str, type: str = "pagerduty", **extra: Any
) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/services/{service_id}/integrations",
        json={"type": type, **extra},
        headers=manager.auth,
    )
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def send(
    client: Client,
    key: str,
    summary: str,
    *,
    severity: str = "critical",
    dedup_key: str | None = None,
    action: str = "trigger",
    **payload: Any,
) -> dict[str, Any]:
    """One PagerDuty Events v2 event through /v2/enqueue."""
    body: dict[str, Any] = {"routing_key": key, "event_action": action}
    for top in ("links", "images"):  # beside the payload in Events v2
        if top in payload:
            body[top] = payload.pop(top)
    if dedup_key:
        body["dedup_key"] = dedup_key
    if action == "trigger":
        body["payload"] = {"summary": summary, "severity": severity, "source": "web-01", **payload}
    r = client.post("/v2/enqueue", json=body)
    assert r.status_code == 202, r.text
    answer: dict[str, Any] = r.json()
    return answer


def alert_by_summary(db: Database, summary: str) -> Alert:
    with db.unit_of_work(readonly=True) as uow:
        alert = uow.session.scalars(select(Alert).where(Alert.summary == summary)).one()
        uow.session.expunge(alert)
        return alert


def integration_row(db: Database, integration_id: str) -> Integration:
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.get(Integration, integration_id)
        assert row is not None
        uow.session.expunge(row)
        return row
