"""The signed-in person's own page: account, password and API tokens."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers import Person, post_login
from muster.db.uow import Database
from muster.domain.accounts.models import ApiToken, User
from ui_support import as_person, count, field_has_error, field_value, last_event

NEW_TOKEN_MESSAGE = "it will not be shown again"


def _user(db: Database, user_id: str) -> User:
    with db.unit_of_work(readonly=True) as uow:
        user = uow.session.get(User, user_id)
        assert user is not None
        uow.session.expunge(user)
        return user


def _shown_token(html: str) -> str | None:
    match = re.search(r'<p class="secret" id="new-token-value">(mst_[^<]+)</p>', html)
    return match.group(1) if match else None


def test_profile_renders_with_empty_token_state(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    viewer = people["viewer"]
    with db.unit_of_work() as uow:  # start from no tokens at all
        for row in uow.session.scalars(select(ApiToken)).all():
            uow.session.delete(row)
        uow.commit()
    as_person(client, viewer)
    r = client.get("/profile")
    assert r.status_code == 200
    assert viewer.email in r.text
    assert "You have no API tokens." in r.text
    assert r.headers["cache-control"] == "no-store"


def test_name_and_zone_are_saved(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["responder"]
    csrf = as_person(client, me)
    r = client.post(
        "/profile",
        data={"name": "Rosa Responder", "time_zone": "America/New_York", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/profile?saved=account"
    page = client.get(r.headers["location"]).text
    assert "Your account was saved." in page
    user = _user(db, me.id)
    assert (user.name, user.time_zone) == ("Rosa Responder", "America/New_York")
    event = last_event(db, "user.updated")
    assert (event.via, event.actor_id) == ("ui", me.id)
    # times now show in the new zone, with UTC on hover
    assert re.search(r'<time datetime="[^"]+Z" title="[^"]+ UTC">[^<]+ EST</time>', page)


def test_bad_zone_is_shown_by_its_field(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["responder"]
    csrf = as_person(client, me)
    r = client.post("/profile", data={"name": "", "time_zone": "Moon/Crater", "csrf_token": csrf})
    assert r.status_code == 422
    assert field_has_error(r.text, "a-time_zone")
    assert field_has_error(r.text, "a-name")
    assert field_value(r.text, "a-time_zone") == "Moon/Crater"
    assert _user(db, me.id).time_zone == "UTC"


def test_password_change_needs_the_current_password(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["viewer"]
    csrf = as_person(client, me)
    new = "an entirely new secret"
    r = client.post(
        "/profile/password",
        data={
            "current_password": "wrong",
            "password": new,
            "password_confirm": new,
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "p-current_password")
    assert new not in r.text
    r = client.post(
        "/profile/password",
        data={
            "current_password": me.password,
            "password": new,
            "password_confirm": "typo",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "p-password_confirm")
    r = client.post(
        "/profile/password",
        data={
            "current_password": me.password,
            "password": "short",
            "password_confirm": "short",
            "csrf_token": csrf,
        },
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "p-password")
    r = client.post(
        "/profile/password",
        data={
            "current_password": me.password,
            "password": new,
            "password_confirm": new,
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/profile?saved=password"
    assert last_event(db, "user.updated").data == {"password": "changed"}
    client.cookies.clear()
    assert post_login(client, {"email": me.email, "password": me.password}).status_code == 401
    as_person(client, Person(me.id, me.email, me.role, me.token, password=new))


def test_new_token_is_shown_once(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["viewer"]
    csrf = as_person(client, me)
    r = client.post(
        "/profile/tokens",
        data={"name": "grafana bridge", "expires_on": "", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/profile#new-token"
    first = client.get("/profile")
    token = _shown_token(first.text)
    assert token is not None
    assert NEW_TOKEN_MESSAGE in first.text
    assert "grafana bridge" in first.text
    again = client.get("/profile")
    assert _shown_token(again.text) is None
    assert NEW_TOKEN_MESSAGE not in again.text
    assert token not in again.text
    assert token[:10] in again.text  # the prefix stays listed
    # the token works, as this person
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).json()["id"] == me.id
    )
    event = last_event(db, "api_token.created")
    assert (event.via, event.data["name"]) == ("ui", "grafana bridge")


def test_token_is_not_shown_to_someone_else(client: TestClient, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["viewer"])
    client.post(
        "/profile/tokens", data={"name": "mine", "csrf_token": csrf}, follow_redirects=False
    )
    flash = client.cookies.get("muster_new_token", path="/profile")
    assert flash
    client.cookies.clear()
    as_person(client, people["manager"])
    client.cookies.set("muster_new_token", flash, path="/profile")
    assert _shown_token(client.get("/profile").text) is None


def test_token_errors(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    me = people["responder"]
    csrf = as_person(client, me)
    before = count(db, ApiToken)
    r = client.post("/profile/tokens", data={"name": " ", "expires_on": "", "csrf_token": csrf})
    assert r.status_code == 422
    assert field_has_error(r.text, "t-name")
    r = client.post(
        "/profile/tokens", data={"name": "old", "expires_on": "2020-01-01", "csrf_token": csrf}
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "t-expires_on")
    assert field_value(r.text, "t-name") == "old"
    r = client.post(
        "/profile/tokens", data={"name": "bad", "expires_on": "tomorrow", "csrf_token": csrf}
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "t-expires_on")
    assert client.post("/profile/tokens", data={"name": "no csrf"}).status_code == 403
    assert count(db, ApiToken) == before


def test_expiry_is_the_end_of_the_day_in_my_zone(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["responder"]
    csrf = as_person(client, me)
    client.post(
        "/profile",
        data={"name": "R", "time_zone": "Europe/Berlin", "csrf_token": csrf},
    )
    client.post(
        "/profile/tokens",
        data={"name": "quarter", "expires_on": "2026-03-31", "csrf_token": csrf},
        follow_redirects=False,
    )
    with db.unit_of_work(readonly=True) as uow:
        row = uow.session.scalars(select(ApiToken).where(ApiToken.name == "quarter")).one()
        assert row.expires_at is not None
        assert row.expires_at.isoformat() == "2026-03-31T22:00:00+00:00"  # CEST midnight


def test_revoke(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    me = people["manager"]
    csrf = as_person(client, me)
    with db.unit_of_work(readonly=True) as uow:
        token_id = uow.session.scalars(select(ApiToken.id).where(ApiToken.user_id == me.id)).one()
    page = client.get("/profile").text
    assert f'action="/profile/tokens/{token_id}/revoke"' in page
    assert ">active</span>" in page
    r = client.post(
        f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "The token was revoked" in page
    assert ">revoked</span>" in page
    assert f'action="/profile/tokens/{token_id}/revoke"' not in page
    assert client.get("/api/v1/me", headers=me.auth).status_code == 401
    assert last_event(db, "api_token.revoked").via == "ui"


def test_cannot_revoke_someone_elses_token(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    other = people["viewer"]
    with db.unit_of_work(readonly=True) as uow:
        token_id = uow.session.scalars(
            select(ApiToken.id).where(ApiToken.user_id == other.id)
        ).one()
    csrf = as_person(client, people["manager"])
    r = client.post(f"/profile/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert r.status_code == 403
    assert client.get("/api/v1/me", headers=other.auth).status_code == 200
