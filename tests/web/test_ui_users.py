"""The people pages: list, profile, add, edit, archive; and sessions ending on sign-out."""

from __future__ import annotations

from fastapi.testclient import TestClient

from helpers import PASSWORD, Person, post_login
from muster.db.uow import Database
from muster.domain.accounts.models import User
from ui_support import (
    as_person,
    count,
    field_has_error,
    field_value,
    id_from_location,
    last_event,
)

NEW = {
    "email": "dana@example.com",
    "name": "Dana Scully",
    "role": "responder",
    "time_zone": "Europe/Berlin",
    "password": "a long enough password",
}


def _user(db: Database, user_id: str) -> User:
    with db.unit_of_work(readonly=True) as uow:
        user = uow.session.get(User, user_id)
        assert user is not None
        uow.session.expunge(user)
        return user


def test_signed_out_visitor_is_sent_to_login(client: TestClient, people: dict[str, Person]) -> None:
    r = client.get("/users?archived=1", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/users%3Farchived%3D1"


def test_viewer_sees_people_read_only(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["viewer"])
    r = client.get("/users")
    assert r.status_code == 200
    for person in people.values():
        assert person.email in r.text
    assert 'href="/users?archived=1"' in r.text
    assert "/users/new" not in r.text
    assert client.get("/users/new").status_code == 403
    page = client.get(f"/users/{people['manager'].id}")
    assert page.status_code == 200
    assert "/edit" not in page.text
    assert "/archive" not in page.text


def test_archived_list_has_an_empty_state(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["admin"])
    r = client.get("/users?archived=1")
    assert r.status_code == 200
    assert "No archived people" in r.text
    assert 'href="/users"' in r.text


def test_admin_adds_a_person(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["admin"])
    form = client.get("/users/new")
    assert form.status_code == 200
    assert '<datalist id="zones">' in form.text
    assert 'value="Europe/Berlin"' in form.text
    r = client.post("/users/new", data={**NEW, "csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    user_id = id_from_location(r.headers["location"], "/users/")
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "Dana Scully" in page.text
    assert "Europe/Berlin" in page.text
    assert "user.created" in page.text  # the history
    assert NEW["email"] in client.get("/users").text
    event = last_event(db, "user.created")
    assert event.subject_id == user_id
    assert event.via == "ui"
    assert event.actor_id == people["admin"].id
    # the new person can sign in with the initial password
    client.cookies.clear()
    as_person(
        client, Person(user_id, NEW["email"], "responder", token="", password=NEW["password"])
    )


def test_blank_name_is_refused_and_fields_are_kept(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    before = count(db, User)
    r = client.post("/users/new", data={**NEW, "name": "  ", "csrf_token": csrf})
    assert r.status_code == 422
    assert 'role="alert"' in r.text
    assert field_has_error(r.text, "f-name")
    assert not field_has_error(r.text, "f-email")
    assert field_value(r.text, "f-email") == NEW["email"]
    assert field_value(r.text, "f-time_zone") == "Europe/Berlin"
    assert NEW["password"] not in r.text  # secrets are never echoed
    assert count(db, User) == before


def test_duplicate_email_is_a_conflict(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    before = count(db, User)
    data = {**NEW, "email": people["viewer"].email, "csrf_token": csrf}
    r = client.post("/users/new", data=data)
    assert r.status_code == 409
    assert field_has_error(r.text, "f-email")
    assert "already taken" in r.text
    assert field_value(r.text, "f-name") == "Dana Scully"
    assert count(db, User) == before


def test_weak_password_and_bad_zone_are_shown_by_field(
    client: TestClient, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    r = client.post(
        "/users/new",
        data={**NEW, "password": "short", "csrf_token": csrf, "time_zone": "Mars/Base"},
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "f-time_zone")
    assert field_value(r.text, "f-time_zone") == "Mars/Base"


def test_admin_edits_role_and_it_is_recorded(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    target = people["viewer"]
    form = client.get(f"/users/{target.id}/edit")
    assert form.status_code == 200
    assert 'name="role"' in form.text
    r = client.post(
        f"/users/{target.id}/edit",
        data={
            "name": "Vera Viewer",
            "time_zone": "Asia/Tokyo",
            "role": "manager",
            "csrf_token": csrf,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/users/{target.id}"
    user = _user(db, target.id)
    assert (user.name, user.time_zone, user.role) == ("Vera Viewer", "Asia/Tokyo", "manager")
    event = last_event(db, "user.updated")
    assert event.via == "ui"
    assert event.data["role"] == {"from": "viewer", "to": "manager"}
    assert "Vera Viewer" in client.get(f"/users/{target.id}").text


def test_people_edit_themselves_but_not_their_role(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    me = people["responder"]
    csrf = as_person(client, me)
    assert f'href="/users/{me.id}/edit"' in client.get(f"/users/{me.id}").text
    form = client.get(f"/users/{me.id}/edit")
    assert form.status_code == 200
    assert 'name="role"' not in form.text
    assert 'name="password"' not in form.text
    r = client.post(
        f"/users/{me.id}/edit",
        data={"name": "Rita", "time_zone": "UTC", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _user(db, me.id).name == "Rita"
    r = client.post(
        f"/users/{me.id}/edit",
        data={"name": "Rita", "time_zone": "UTC", "role": "admin", "csrf_token": csrf},
    )
    assert r.status_code == 403
    assert _user(db, me.id).role == "responder"


def test_nobody_edits_someone_else_without_admin(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    other = people["viewer"]
    assert client.get(f"/users/{other.id}/edit").status_code == 403
    r = client.post(
        f"/users/{other.id}/edit", data={"name": "Hacked", "time_zone": "UTC", "csrf_token": csrf}
    )
    assert r.status_code == 403
    assert _user(db, other.id).name != "Hacked"


def test_admin_archives_a_person(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["admin"])
    target = people["responder"]
    page = client.get(f"/users/{target.id}")
    assert f'action="/users/{target.id}/archive"' in page.text
    assert "data-confirm=" in page.text
    r = client.post(
        f"/users/{target.id}/archive", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/users/{target.id}"
    assert _user(db, target.id).archived_at is not None
    assert last_event(db, "user.archived").via == "ui"
    assert "archived" in client.get(f"/users/{target.id}").text
    assert target.email in client.get("/users?archived=1").text
    assert target.email not in client.get("/users").text
    client.cookies.clear()
    r = post_login(client, {"email": target.email, "password": PASSWORD})
    assert r.status_code == 401


def test_archive_needs_admin_and_csrf(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    target = people["viewer"]
    csrf = as_person(client, people["manager"])
    assert client.post(f"/users/{target.id}/archive", data={"csrf_token": csrf}).status_code == 403
    client.cookies.clear()
    as_person(client, people["admin"])
    assert client.post(f"/users/{target.id}/archive", data={}).status_code == 403
    assert _user(db, target.id).archived_at is None


def test_csrf_less_create_is_refused(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    as_person(client, people["admin"])
    before = count(db, User)
    r = client.post("/users/new", data=NEW)
    assert r.status_code == 403
    assert "CSRF" in r.text
    r = client.post("/users/new", data={**NEW, "csrf_token": "forged"})
    assert r.status_code == 403
    assert count(db, User) == before


def test_user_page_shows_teams(client: TestClient, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["manager"])
    r = client.post("/teams/new", data={"name": "Night Watch", "csrf_token": csrf})
    team_url = str(r.url.path)
    client.post(
        f"{team_url}/members",
        data={"user_id": people["viewer"].id, "role": "manager", "csrf_token": csrf},
    )
    page = client.get(f"/users/{people['viewer'].id}").text
    assert f'href="{team_url}">Night Watch</a>' in page


def test_sign_out_ends_the_session(client: TestClient, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["viewer"])
    old_cookie = client.cookies.get("muster_session")
    assert old_cookie
    assert client.get("/users", follow_redirects=False).status_code == 200
    r = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"
    client.cookies.set("muster_session", old_cookie)
    r = client.get("/users", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
