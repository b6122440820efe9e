"""Who may call the API: tokens, sessions, roles and CSRF."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from helpers import SYSTEM, Person, post_login, sign_in
from muster.clock import ManualClock
from muster.db.uow import Database
from muster.domain.accounts.credentials import do_create_api_token
from muster.domain.accounts.models import ApiToken, Team
from muster.domain.events.models import Event


def _teams(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Team)) or 0)


def _events(db: Database) -> int:
    with db.unit_of_work(readonly=True) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Event)) or 0)


def test_no_credentials_is_401_problem(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get("/api/v1/teams")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401


def test_bearer_token_works_and_records_last_use(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    viewer = people["viewer"]
    assert client.get("/api/v1/me", headers=viewer.auth).json()["email"] == viewer.email
    with db.unit_of_work(readonly=True) as uow:
        token = uow.session.scalars(select(ApiToken).where(ApiToken.user_id == viewer.id)).one()
        assert token.last_used_at == clock.now()


def test_wrong_token_and_malformed_header(client: TestClient, people: dict[str, Person]) -> None:
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer mst_nope"}).status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
    assert "Bearer" in r.json()["detail"]


def test_revoked_token_is_refused(client: TestClient, people: dict[str, Person]) -> None:
    me = people["responder"]
    created = client.post("/api/v1/tokens", json={"name": "ci"}, headers=me.auth).json()
    new_auth = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=new_auth).status_code == 200
    assert client.post(f"/api/v1/tokens/{created['id']}/revoke", headers=me.auth).status_code == 200
    r = client.get("/api/v1/me", headers=new_auth)
    assert r.status_code == 401
    assert "revoked" in r.json()["detail"]


def test_expired_token_is_refused(
    client: TestClient, db: Database, people: dict[str, Person], clock: ManualClock
) -> None:
    with db.unit_of_work() as uow:
        _row, plaintext = do_create_api_token(
            uow, SYSTEM, people["manager"].id, "short", clock.now() + timedelta(hours=1)
        )
        uow.commit()
    auth = {"Authorization": f"Bearer {plaintext}"}
    assert client.get("/api/v1/me", headers=auth).status_code == 200
    clock.advance(hours=1)
    r = client.get("/api/v1/me", headers=auth)
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


def test_token_is_shown_once_and_stored_hashed(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["viewer"]
    created = client.post("/api/v1/tokens", json={"name": "laptop"}, headers=me.auth).json()
    assert created["token"].startswith("mst_")
    listed = client.get("/api/v1/tokens", headers=me.auth).json()["items"]
    assert all("token" not in t for t in listed)
    with db.unit_of_work(readonly=True) as uow:
        hashes = uow.session.scalars(select(ApiToken.token_hash)).all()
        assert created["token"] not in hashes
        events = uow.session.scalars(select(Event).where(Event.type == "api_token.created")).all()
        assert all(created["token"] not in str(e.data) for e in events)


def test_token_expiry_must_be_aware_and_future(
    client: TestClient, people: dict[str, Person]
) -> None:
    me = people["viewer"]
    naive = client.post("/api/v1/tokens", json={"name": "x", "expires_at": "2030-01-01T00:00:00"},
                        headers=me.auth)  # fmt: skip
    assert naive.status_code == 422
    assert naive.json()["errors"][0]["field"] == "expires_at"
    past = client.post("/api/v1/tokens", json={"name": "x", "expires_at": "2020-01-01T00:00:00Z"},
                       headers=me.auth)  # fmt: skip
    assert past.status_code == 422


def test_only_admins_manage_other_peoples_tokens(
    client: TestClient, people: dict[str, Person]
) -> None:
    target = people["responder"]
    r = client.post(f"/api/v1/tokens?user_id={target.id}", json={"name": "x"},
                    headers=people["manager"].auth)  # fmt: skip
    assert r.status_code == 403
    r = client.post(f"/api/v1/tokens?user_id={target.id}", json={"name": "x"},
                    headers=people["admin"].auth)  # fmt: skip
    assert r.status_code == 201
    assert r.json()["user_id"] == target.id


def test_viewer_cannot_write_and_nothing_changes(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    before = _events(db)
    for role in ("viewer", "responder"):
        r = client.post("/api/v1/teams", json={"name": "Nope"}, headers=people[role].auth)
        assert r.status_code == 403, role
        assert r.headers["content-type"] == "application/problem+json"
        assert "manager" in r.json()["detail"]
    r = client.post("/api/v1/users", json={"email": "x@example.com", "name": "X"},
                    headers=people["manager"].auth)  # fmt: skip
    assert r.status_code == 403
    assert _teams(db) == 0
    assert _events(db) == before


def test_role_change_needs_admin(client: TestClient, people: dict[str, Person]) -> None:
    me = people["responder"]
    r = client.patch(f"/api/v1/users/{me.id}", json={"role": "admin"}, headers=me.auth)
    assert r.status_code == 403
    r = client.patch(f"/api/v1/users/{me.id}", json={"name": "Renamed"}, headers=me.auth)
    assert r.status_code == 200
    assert r.json()["name"] == "Renamed"
    other = people["viewer"]
    assert (
        client.patch(f"/api/v1/users/{other.id}", json={"name": "X"}, headers=me.auth).status_code
        == 403
    )


def test_cookie_session_api_write_needs_csrf_header(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    manager = people["manager"]
    csrf = sign_in(client, manager.email, manager.password)
    assert client.get("/api/v1/me").json()["email"] == manager.email
    r = client.post("/api/v1/teams", json={"name": "NoCsrf"})
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    assert _teams(db) == 0
    r = client.post("/api/v1/teams", json={"name": "WithCsrf"}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 201


def test_wrong_password_is_refused_without_saying_which_part(
    client: TestClient, people: dict[str, Person]
) -> None:
    r = post_login(client, {"email": people["viewer"].email, "password": "wrong password"})
    assert r.status_code == 401
    assert "wrong email or password" in r.text
    r2 = post_login(client, {"email": "nobody@example.com", "password": "wrong password"})
    assert r2.status_code == 401
    assert "wrong email or password" in r2.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_archived_user_loses_access(client: TestClient, people: dict[str, Person]) -> None:
    victim = people["responder"]
    r = client.post(f"/api/v1/users/{victim.id}/archive", headers=people["admin"].auth)
    assert r.status_code == 200
    assert client.get("/api/v1/me", headers=victim.auth).status_code == 401
    r = post_login(client, {"email": victim.email, "password": victim.password})
    assert r.status_code == 401


def test_last_admin_cannot_be_archived_or_demoted(
    client: TestClient, people: dict[str, Person]
) -> None:
    admin = people["admin"]
    r = client.post(f"/api/v1/users/{admin.id}/archive", headers=admin.auth)
    assert r.status_code == 409
    r = client.patch(f"/api/v1/users/{admin.id}", json={"role": "viewer"}, headers=admin.auth)
    assert r.status_code == 409
