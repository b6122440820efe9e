"""A small world for the security tests: one person of each role, a revoked token, and
a team, service and incident whose ids fill realistic path parameters."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from helpers import Person, make_person
from muster.db.uow import Database

ROLES = ("viewer", "responder", "manager", "admin")


@dataclass
class World:
    people: dict[str, Person]
    revoked: Person
    ids: dict[str, str]  # path parameter name -> an id that exists

    def headers(self, caller: str) -> dict[str, str]:
        """Request headers for ``caller``: a role, "revoked" or "anonymous"."""
        if caller == "anonymous":
            return {}
        if caller == "revoked":
            return self.revoked.auth
        return self.people[caller].auth


def build_world(client: TestClient, db: Database) -> World:
    people = {role: make_person(db, role) for role in reversed(ROLES)}
    revoked = make_person(db, "admin")
    tokens = client.get("/api/v1/tokens", headers=revoked.auth).json()["items"]
    for token in tokens:
        r = client.post(f"/api/v1/tokens/{token['id']}/revoke", headers=revoked.auth)
        assert r.status_code == 200, r.text
    boss = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "Core"}, headers=boss).json()
    service = client.post(
        "/api/v1/services", json={"name": "checkout", "team_id": team["id"]}, headers=boss
    ).json()
    incident = client.post(
        "/api/v1/incidents", json={"title": "Checkout is slow"}, headers=people["admin"].auth
    )
    assert incident.status_code == 201, incident.text
    ids = {
        "team_id": team["id"],
        "service_id": service["id"],
        "user_id": people["viewer"].id,
        "subject_id": people["viewer"].id,
        "incident_id": incident.json()["id"],
        "ref": incident.json()["id"],
    }
    return World(people, revoked, ids)


def once_is_enough(db: Database) -> None:
    """Skip on PostgreSQL a check that does not depend on the database (which callers
    may do what, CSRF, headers): it runs on SQLite, and CI time goes to the rest."""
    if db.dialect == "postgresql":
        pytest.skip("decided in the web layer, the same on every database: run on SQLite")
