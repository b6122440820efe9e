"""Bad input gets a clear problem+json 4xx and changes nothing."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import Person
from muster.db.uow import Database
from muster.domain.events.models import Event


def _events(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)


def test_malformed_json_is_400_naming_the_body(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    before = _events(db)
    r = client.post(
        "/api/v1/teams",
        content=b'{"name": "x",',
        headers={**people["manager"].auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "body"
    assert _events(db) == before


def test_oversized_body_is_413(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    before = _events(db)
    big = b'{"name": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = client.post(
        "/api/v1/teams", content=big,
        headers={**people["manager"].auth, "Content-Type": "application/json"},
    )  # fmt: skip
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert _events(db) == before


def test_missing_and_wrong_fields_are_named(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["admin"].auth
    r = client.post("/api/v1/users", json={"name": "No Email"}, headers=auth)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} == {"email"}
    r = client.post("/api/v1/users", json={"email": "not-an-email", "name": "X"}, headers=auth)
    assert r.json()["errors"][0]["field"] == "email"
    r = client.post("/api/v1/users", json={"email": "a@b.c", "name": "X", "time_zone": "Mars/Base"},
                    headers=auth)  # fmt: skip
    assert r.json()["errors"][0]["field"] == "time_zone"
    assert "IANA" in r.json()["errors"][0]["reason"]
    r = client.post("/api/v1/users", json={"email": "a@b.c", "name": "X", "password": "short"},
                    headers=auth)  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "password"
    r = client.post(
        "/api/v1/teams", json={"name": "T", "colour": "red"}, headers=people["manager"].auth
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "colour"


def test_blank_and_overlong_names(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["manager"].auth
    assert client.post("/api/v1/teams", json={"name": "   "}, headers=auth).status_code == 422
    assert client.post("/api/v1/teams", json={"name": "x" * 121}, headers=auth).status_code == 422


def test_duplicate_is_409_and_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    auth = people["manager"].auth
    assert client.post("/api/v1/teams", json={"name": "Core"}, headers=auth).status_code == 201
    before = _events(db)
    r = client.post("/api/v1/teams", json={"name": "core"}, headers=auth)
    assert r.status_code == 409
    assert r.json()["errors"] == [{"field": "name", "reason": "already taken"}]
    assert _events(db) == before


def test_unknown_ids_are_404_problems(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["viewer"].auth
    for path in ("/api/v1/users/nope", "/api/v1/teams/nope", "/api/v1/services/nope"):
        r = client.get(path, headers=auth)
        assert r.status_code == 404, path
        assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/api/v1/no-such-route", headers=auth).status_code == 404


def test_bad_pagination_input(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["viewer"].auth
    assert client.get("/api/v1/teams?limit=0", headers=auth).status_code == 422
    assert client.get("/api/v1/teams?limit=100000", headers=auth).status_code == 422
    r = client.get("/api/v1/teams?cursor=garbage!!", headers=auth)
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "cursor"


def test_service_needs_an_existing_team(client: TestClient, people: dict[str, Person]) -> None:
    r = client.post("/api/v1/services", json={"name": "api", "team_id": "missing"},
                    headers=people["manager"].auth)  # fmt: skip
    assert r.status_code == 422
    assert r.json()["errors"] == [{"field": "team_id", "reason": "no active team has this id"}]
