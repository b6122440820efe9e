"""A NUL character anywhere in a request (path, query, JSON, form) is never a server
error: PostgreSQL refuses NUL in text, and that is the caller's bad input (400, nothing
changed), not a 500. SQLite stores it. Found by the schemathesis run on PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person, post_login
from muster.db.uow import Database
from muster.domain.accounts.models import Team


def test_nul_anywhere_is_a_client_error(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    admin = people["admin"].auth
    answers = {
        "json": client.post("/api/v1/teams", json={"name": "a\x00b"}, headers=admin),
        "path": client.get("/api/v1/teams/a%00b", headers=admin),
        "query": client.get("/api/v1/incidents?q=%00", headers=admin),
        "export": client.get("/api/v1/incidents/export?tag=%00", headers=admin),
        "page": client.get("/teams/a%00b", headers=admin),
        "form": client.post("/teams/new", data={"name": "a\x00b"}, headers=admin),
        "login": post_login(client, {"email": "a\x00@example.com", "password": "x"}),
    }
    wrong = {what: r.status_code for what, r in answers.items() if r.status_code >= 500}
    assert not wrong, wrong
    assert all(r.status_code < 300 or r.status_code >= 400 for r in answers.values())
    if db.engine.dialect.name == "postgresql":
        assert {r.status_code for r in answers.values()} == {400}
        assert answers["json"].headers["content-type"] == "application/problem+json"
        with db.unit_of_work(readonly=True) as uow:
            assert uow.session.scalar(select(func.count()).select_from(Team)) == 0
