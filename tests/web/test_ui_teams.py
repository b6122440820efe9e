"""The team pages: list, create, edit, archive, members."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from helpers import SYSTEM, Person
from muster.db.uow import Database
from muster.domain.accounts.models import Team, TeamMember
from muster.domain.accounts.schemas import TeamCreate
from muster.domain.accounts.service import do_create_team
from ui_support import (
    as_person,
    count,
    events_of_type,
    field_has_error,
    id_from_location,
    last_event,
)


def _create(client: TestClient, csrf: str, name: str = "Payments", description: str = "") -> str:
    r = client.post(
        "/teams/new",
        data={"name": name, "description": description, "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return id_from_location(r.headers["location"], "/teams/")


def _team(db: Database, team_id: str) -> Team:
    with db.unit_of_work(readonly=True) as uow:
        team = uow.session.get(Team, team_id)
        assert team is not None
        uow.session.expunge(team)
        return team


def _roles(db: Database, team_id: str) -> dict[str, str]:
    with db.unit_of_work(readonly=True) as uow:
        rows = uow.session.query(TeamMember).filter(TeamMember.team_id == team_id).all()
        return {m.user_id: m.role for m in rows}


def test_empty_state_offers_creation_to_managers(
    client: TestClient, people: dict[str, Person]
) -> None:
    as_person(client, people["manager"])
    r = client.get("/teams")
    assert r.status_code == 200
    assert "No teams yet" in r.text
    assert 'href="/teams/new"' in r.text
    assert client.get("/teams?archived=1").text.count("No archived teams") == 1


def test_responder_sees_empty_state_without_create(
    client: TestClient, people: dict[str, Person]
) -> None:
    as_person(client, people["responder"])
    r = client.get("/teams")
    assert r.status_code == 200
    assert "No teams yet" in r.text
    assert "/teams/new" not in r.text
    assert "Ask a manager" in r.text
    assert client.get("/teams/new").status_code == 403


def test_manager_creates_a_team(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    assert client.get("/teams/new").status_code == 200
    team_id = _create(client, csrf, "Payments", "Card and wallet payments")
    page = client.get(f"/teams/{team_id}")
    assert page.status_code == 200
    assert "Card and wallet payments" in page.text
    assert "No members yet." in page.text
    assert "This team owns no services yet." in page.text
    assert f'href="/teams/{team_id}">Payments</a>' in client.get("/teams").text
    event = last_event(db, "team.created")
    assert (event.subject_id, event.via, event.actor_id) == (team_id, "ui", people["manager"].id)
    assert "team.created" in page.text


def test_blank_and_duplicate_names_keep_the_form(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    _create(client, csrf, "Payments")
    r = client.post("/teams/new", data={"name": " ", "description": "kept", "csrf_token": csrf})
    assert r.status_code == 422
    assert field_has_error(r.text, "f-name")
    assert ">kept</textarea>" in r.text
    assert 'role="alert"' in r.text
    r = client.post("/teams/new", data={"name": "payments", "description": "2", "csrf_token": csrf})
    assert r.status_code == 409
    assert field_has_error(r.text, "f-name")
    assert "already taken" in r.text
    assert 'value="payments"' in r.text
    assert count(db, Team) == 1


def test_low_roles_cannot_write(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _create(client, csrf)
    for role in ("responder", "viewer"):
        client.cookies.clear()
        csrf = as_person(client, people[role])
        assert client.post("/teams/new", data={"name": "X", "csrf_token": csrf}).status_code == 403
        r = client.post(f"/teams/{team_id}/edit", data={"name": "Y", "csrf_token": csrf})
        assert r.status_code == 403
        assert (
            client.post(f"/teams/{team_id}/archive", data={"csrf_token": csrf}).status_code == 403
        )
        r = client.post(
            f"/teams/{team_id}/members",
            data={"user_id": people[role].id, "role": "manager", "csrf_token": csrf},
        )
        assert r.status_code == 403
        page = client.get(f"/teams/{team_id}").text
        assert "/edit" not in page
        assert "/archive" not in page
        assert "/members" not in page
    assert count(db, Team) == 1
    team = _team(db, team_id)
    assert (team.name, team.archived_at) == ("Payments", None)
    assert _roles(db, team_id) == {}


def test_csrf_less_post_changes_nothing(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _create(client, csrf)
    assert client.post("/teams/new", data={"name": "Other"}).status_code == 403
    assert client.post(f"/teams/{team_id}/archive").status_code == 403
    assert count(db, Team) == 1
    assert _team(db, team_id).archived_at is None


def test_edit_and_archive(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _create(client, csrf, "Payments")
    _create(client, csrf, "Search")
    form = client.get(f"/teams/{team_id}/edit")
    assert 'value="Payments"' in form.text
    r = client.post(f"/teams/{team_id}/edit", data={"name": "Search", "csrf_token": csrf})
    assert r.status_code == 409
    r = client.post(
        f"/teams/{team_id}/edit",
        data={"name": "Billing", "description": "Invoices", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/teams/{team_id}"
    assert _team(db, team_id).name == "Billing"
    assert last_event(db, "team.updated").data["name"] == {"from": "Payments", "to": "Billing"}
    r = client.post(f"/teams/{team_id}/archive", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert _team(db, team_id).archived_at is not None
    assert last_event(db, "team.archived").via == "ui"
    assert "Billing" not in client.get("/teams").text
    assert "Billing" in client.get("/teams?archived=1").text
    assert "archived" in client.get(f"/teams/{team_id}").text


def test_members_are_added_promoted_and_removed(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _create(client, csrf)
    viewer = people["viewer"]
    page = client.get(f"/teams/{team_id}").text
    assert f'<option value="{viewer.id}">' in page
    r = client.post(
        f"/teams/{team_id}/members",
        data={"user_id": viewer.id, "role": "member", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/teams/{team_id}#members"
    assert _roles(db, team_id) == {viewer.id: "member"}
    page = client.get(f"/teams/{team_id}").text
    assert f'href="/users/{viewer.id}"' in page
    assert f'<option value="{viewer.id}">' not in page  # no longer offered
    assert "Make manager" in page
    r = client.post(
        f"/teams/{team_id}/members",
        data={"user_id": viewer.id, "role": "manager", "csrf_token": csrf},
    )
    assert r.status_code == 200
    assert _roles(db, team_id) == {viewer.id: "manager"}
    r = client.post(
        f"/teams/{team_id}/members/{viewer.id}/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert _roles(db, team_id) == {}
    added = events_of_type(db, "team.member_added")
    assert [e.data["role"] for e in added] == ["member", "manager"]
    assert all(e.via == "ui" for e in added)
    assert last_event(db, "team.member_removed").data["user_id"] == viewer.id


def test_adding_an_unknown_person_shows_the_error_by_the_select(
    client: TestClient, db: Database, people: dict[str, Person]
) -> None:
    csrf = as_person(client, people["manager"])
    team_id = _create(client, csrf)
    r = client.post(
        f"/teams/{team_id}/members",
        data={"user_id": "nobody", "role": "member", "csrf_token": csrf},
    )
    assert r.status_code == 422
    assert field_has_error(r.text, "m-user_id")
    assert 'role="alert"' in r.text
    assert _roles(db, team_id) == {}


def test_unknown_team_is_404(client: TestClient, people: dict[str, Person]) -> None:
    as_person(client, people["viewer"])
    r = client.get("/teams/00000000-0000-0000-0000-000000000000")
    assert r.status_code == 404
    assert "no such team" in r.text


def test_long_lists_are_paged(client: TestClient, db: Database, people: dict[str, Person]) -> None:
    with db.unit_of_work() as uow:
        for i in range(101):
            do_create_team(uow, SYSTEM, TeamCreate(name=f"Team {i:03}"))
        uow.commit()
    as_person(client, people["viewer"])
    first = client.get("/teams").text
    assert first.count("<tr>") == 101  # the header row and 100 teams
    assert "Team 099" in first
    assert "Team 100" not in first
    link = re.search(r'href="(/teams\?cursor=[^"]+)">Next page', first)
    assert link, "no link to the next page"
    second = client.get(link.group(1)).text
    assert "Team 100" in second
    assert "Team 099" not in second
    assert 'href="/teams">← First page' in second
    assert "Next page" not in second
