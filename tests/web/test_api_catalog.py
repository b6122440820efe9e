"""Users, teams and services through the API: create, list, show, edit, archive."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import Person


def test_team_lifecycle_with_members_and_history(
    client: TestClient, people: dict[str, Person]
) -> None:
    auth = people["manager"].auth
    r = client.post(
        "/api/v1/teams", json={"name": "Payments", "description": "Money"}, headers=auth
    )
    assert r.status_code == 201
    team = r.json()
    assert r.headers["location"] == f"/api/v1/teams/{team['id']}"
    r = client.post(f"/api/v1/teams/{team['id']}/members",
                    json={"user_id": people["responder"].id, "role": "manager"}, headers=auth)  # fmt: skip
    assert [m["role"] for m in r.json()["members"]] == ["manager"]
    r = client.patch(
        f"/api/v1/teams/{team['id']}", json={"description": "Payments platform"}, headers=auth
    )
    assert r.json()["description"] == "Payments platform"
    r = client.delete(f"/api/v1/teams/{team['id']}/members/{people['responder'].id}", headers=auth)
    assert r.json()["members"] == []
    assert client.post(f"/api/v1/teams/{team['id']}/archive", headers=auth).json()["archived_at"]
    assert client.get("/api/v1/teams", headers=auth).json()["items"] == []
    archived = client.get("/api/v1/teams?archived=true", headers=auth).json()["items"]
    assert [t["name"] for t in archived] == ["Payments"]

    history = client.get(f"/api/v1/events?subject_type=team&subject_id={team['id']}",
                         headers=people["viewer"].auth).json()["items"]  # fmt: skip
    assert [e["type"] for e in history] == [
        "team.created", "team.member_added", "team.updated", "team.member_removed", "team.archived",
    ]  # fmt: skip
    assert {e["actor_label"] for e in history} == {people["manager"].email}
    assert {e["via"] for e in history} == {"api"}
    assert all(e["occurred_at"].endswith("Z") or "+00:00" in e["occurred_at"] for e in history)


def test_service_lifecycle(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["manager"].auth
    team = client.post("/api/v1/teams", json={"name": "Core"}, headers=auth).json()
    other = client.post("/api/v1/teams", json={"name": "Edge"}, headers=auth).json()
    r = client.post("/api/v1/services",
                    json={"name": "checkout-api", "description": "Checkout", "team_id": team["id"]},
                    headers=auth)  # fmt: skip
    assert r.status_code == 201
    svc = r.json()
    assert svc["team_name"] == "Core"
    r = client.patch(f"/api/v1/services/{svc['id']}", json={"team_id": other["id"]}, headers=auth)
    assert r.json()["team_name"] == "Edge"
    viewer = people["viewer"].auth
    assert (
        client.get(f"/api/v1/services/{svc['id']}", headers=viewer).json()["name"] == "checkout-api"
    )
    assert (
        client.patch(
            f"/api/v1/services/{svc['id']}", json={"name": "x"}, headers=viewer
        ).status_code
        == 403
    )
    listed = client.get(f"/api/v1/services?team_id={other['id']}", headers=viewer).json()["items"]
    assert [s["name"] for s in listed] == ["checkout-api"]
    assert client.post(f"/api/v1/services/{svc['id']}/archive", headers=auth).status_code == 200
    assert client.get("/api/v1/services", headers=viewer).json()["items"] == []


def test_user_admin_flow(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["admin"].auth
    r = client.post("/api/v1/users", json={"email": "New.Person@Example.com", "name": "New Person",
                                           "time_zone": "Europe/Berlin", "role": "manager"},
                    headers=auth)  # fmt: skip
    assert r.status_code == 201
    user = r.json()
    assert user["email"] == "new.person@example.com"
    assert "password" not in user
    assert "password_hash" not in user
    r = client.patch(
        f"/api/v1/users/{user['id']}", json={"time_zone": "America/Chicago"}, headers=auth
    )
    assert r.json()["time_zone"] == "America/Chicago"
    dup = client.post(
        "/api/v1/users", json={"email": "new.person@example.com", "name": "Again"}, headers=auth
    )
    assert dup.status_code == 409


def test_lists_paginate_with_cursor(client: TestClient, people: dict[str, Person]) -> None:
    auth = people["manager"].auth
    for i in range(7):
        assert (
            client.post("/api/v1/teams", json={"name": f"team-{i:02d}"}, headers=auth).status_code
            == 201
        )
    names: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/v1/teams?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, headers=auth).json()
        names += [t["name"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert names == [f"team-{i:02d}" for i in range(7)]


def test_audit_log_is_admin_only(client: TestClient, people: dict[str, Person]) -> None:
    assert client.get("/api/v1/events", headers=people["manager"].auth).status_code == 403
    body = client.get("/api/v1/events?limit=2", headers=people["admin"].auth).json()
    assert len(body["items"]) == 2
    older = client.get(f"/api/v1/events?limit=2&cursor={body['next_cursor']}",
                       headers=people["admin"].auth).json()["items"]  # fmt: skip
    assert {e["id"] for e in older}.isdisjoint({e["id"] for e in body["items"]})


def test_openapi_documents_every_api_route(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/users",
        "/api/v1/teams/{team_id}",
        "/api/v1/services",
        "/api/v1/tokens",
        "/api/v1/events",
    ):
        assert path in paths
    assert not any(p.startswith(("/login", "/teams", "/healthz")) for p in paths)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "swagger-ui-bundle.js" in docs.text
    assert client.get("/api/v1/docs/assets/swagger-ui-bundle.js").status_code == 200
