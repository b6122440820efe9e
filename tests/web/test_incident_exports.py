"""Exports: the incident list as CSV / JSON (exactly what each caller may see, with the
list's filters, formula cells neutralised, capped) and one incident whole as JSON (the
report's other formats and sections: test_incident_report.py)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from helpers import SYSTEM, Person, make_person
from incident_support import actor_for, declare
from muster.db.uow import Database
from muster.domain.accounts.schemas import MemberAdd, TeamCreate
from muster.domain.accounts.service import do_add_team_member, do_create_team
from muster.domain.catalog.schemas import ServiceCreate
from muster.domain.catalog.service import do_create_service
from muster.domain.incidents import exports, notes, participants, report, roles, tasks, transitions
from muster.domain.incidents.service import IncidentFilter
from muster.domain.incidents.task_schemas import TaskIn
from muster.domain.incidents.update_schemas import InternalUpdateIn, PublicUpdateIn
from muster.domain.incidents.updates import do_post_update
from ui_support import as_person

API = "/api/v1/incidents"


@dataclass
class Scene:
    ic: Person
    outsider: Person
    sec: Person
    admin: Person
    viewer: Person
    service: str
    down: str  # SEV2 on checkout, customer-facing, with a commander
    slow: str  # SEV4, a title that looks like a formula
    secret: str  # restricted (security)


@pytest.fixture
def scene(db: Database, people: dict[str, Person]) -> Scene:
    ic = make_person(db, "responder", "ic@example.com")
    outsider = make_person(db, "responder", "outsider@example.com")
    sec = make_person(db, "responder", "sec@example.com")
    with db.unit_of_work() as uow:
        team = do_create_team(uow, SYSTEM, TeamCreate(name="Core"))
        security = do_create_team(uow, SYSTEM, TeamCreate(name="Security"))
        security.sees_restricted = True
        do_add_team_member(uow, SYSTEM, security.id, MemberAdd(user_id=sec.id, role="member"))
        service = do_create_service(uow, SYSTEM, ServiceCreate(name="checkout", team_id=team.id))
        uow.commit()
        service_id = service.id
    ic_actor = actor_for(db, ic.id)
    down = declare(
        db, ic_actor, title="Checkout is down", severity=2, service_ids=[service_id],
        customer_facing=True, tags=["payments", "eu"],
    )  # fmt: skip
    with db.unit_of_work() as uow:
        roles.do_assign_role(uow, ic_actor, down, "commander", ic.id)
        uow.commit()
    slow = declare(db, ic_actor, title='=HYPERLINK("http://evil")', severity=4, tags=["+1"])
    secret = declare(db, actor_for(db, sec.id), title="Credential stuffing", type="security")
    return Scene(
        ic, outsider, sec, people["admin"], people["viewer"], service_id, down, slow, secret
    )


def _csv(client: TestClient, person: Person, query: str = "") -> list[dict[str, str]]:
    r = client.get(f"{API}/export?format=csv{query}", headers=person.auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith('attachment; filename="incidents-')
    reader = csv.DictReader(io.StringIO(r.text, newline=""))
    assert tuple(reader.fieldnames or ()) == exports.CSV_COLUMNS
    return list(reader)


def test_csv_has_exactly_the_visible_incidents(client: TestClient, scene: Scene) -> None:
    for person, expected in (
        (scene.outsider, [scene.slow, scene.down]),
        (scene.viewer, [scene.slow, scene.down]),
        (scene.admin, [scene.secret, scene.slow, scene.down]),
        (scene.sec, [scene.secret, scene.slow, scene.down]),
    ):
        rows = _csv(client, person)
        assert [r["id"] for r in rows] == expected, person.email
    assert "Credential" not in client.get(f"{API}/export", headers=scene.outsider.auth).text
    row = next(r for r in _csv(client, scene.outsider) if r["id"] == scene.down)
    assert row["reference"].startswith("INC-")
    assert (row["title"], row["type"], row["severity"], row["status"]) == (
        "Checkout is down", "operational", "SEV2", "triage",
    )  # fmt: skip
    assert (row["services"], row["commander"], row["tags"]) == ("checkout", "Ic", "payments; eu")
    assert (row["customer_facing"], row["restricted"]) == ("true", "false")
    assert row["declared_at"].endswith("Z")
    assert (row["resolved_at"], row["closed_at"]) == ("", "")
    secret = next(r for r in _csv(client, scene.sec) if r["id"] == scene.secret)
    assert (secret["restricted"], secret["type"]) == ("true", "security")


def test_formula_cells_are_neutralised(client: TestClient, scene: Scene) -> None:
    row = next(r for r in _csv(client, scene.admin) if r["id"] == scene.slow)
    assert row["title"] == '\'=HYPERLINK("http://evil")'
    assert row["tags"] == "'+1"
    for cell, safe in (
        ("=1+2", "'=1+2"), ("+cmd", "'+cmd"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"), ("plain = text", "plain = text"), ("", ""),
    ):  # fmt: skip
        assert exports.neutralise(cell) == safe


def test_filters_apply_and_bad_ones_are_refused(
    client: TestClient, db: Database, scene: Scene
) -> None:
    admin = scene.admin
    for query, expected in (
        ("&severity=2", [scene.down]),
        ("&severity=2&severity=4", [scene.slow, scene.down]),
        (f"&service_id={scene.service}", [scene.down]),
        ("&q=credential", [scene.secret]),
        ("&tag=eu", [scene.down]),
        ("&type=security", [scene.secret]),
        (f"&role_holder_id={scene.ic.id}", [scene.down]),
        ("&status=resolved", []),
    ):
        assert [r["id"] for r in _csv(client, admin, query)] == expected, query
    # The outsider's filters never reach what they may not see.
    assert _csv(client, scene.outsider, "&q=credential") == []
    for query, field in (("&status=bogus", "status"), ("&format=xlsx", "format")):
        r = client.get(f"{API}/export?format=csv{query}", headers=admin.auth)
        assert r.status_code == 422, query
        assert field in r.text
    assert client.get(f"{API}/export").status_code == 401


def test_json_list_export(client: TestClient, scene: Scene) -> None:
    r = client.get(f"{API}/export?format=json", headers=scene.outsider.auth)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert (body["truncated"], body["limit"]) == (False, 100_000)
    assert [i["id"] for i in body["items"]] == [scene.slow, scene.down]
    down = body["items"][1]
    assert (down["severity"], down["severity_name"], down["services"]) == (2, "SEV2", ["checkout"])
    assert (down["tags"], down["commander"], down["restricted"]) == (
        ["payments", "eu"],
        "Ic",
        False,
    )
    assert down["title"] == "Checkout is down"  # JSON is not neutralised: no spreadsheet


def test_export_is_capped_and_says_so(db: Database, scene: Scene) -> None:
    admin = actor_for(db, scene.admin.id)
    export = exports.IncidentExport(db, admin, IncidentFilter(), cap=2, batch=1)
    assert [r.id for r in export] == [scene.secret, scene.slow]
    assert export.truncated is True
    whole = exports.IncidentExport(db, admin, IncidentFilter(), cap=3, batch=2)
    assert [r.id for r in whole] == [scene.secret, scene.slow, scene.down]
    assert whole.truncated is False
    text = "".join(exports.json_chunks(exports.IncidentExport(db, admin, IncidentFilter(), cap=1)))
    assert json.loads(text)["truncated"] is True
    csv_text = "".join(
        exports.csv_chunks(exports.IncidentExport(db, admin, IncidentFilter()), chunk_rows=1)
    )
    assert len(list(csv.reader(io.StringIO(csv_text, newline="")))) == 4  # header + 3


def test_ui_export_link_carries_the_filters(client: TestClient, db: Database, scene: Scene) -> None:
    with db.unit_of_work() as uow:
        transitions.do_transition(uow, actor_for(db, scene.ic.id), scene.slow, "declined")
        uow.commit()
    as_person(client, scene.outsider)
    assert 'href="/incidents/export.csv?severity=2"' in client.get("/incidents?severity=2").text
    assert 'href="/incidents/export.csv"' in client.get("/incidents").text

    def ids(url: str) -> list[str]:
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/csv")
        return [row["id"] for row in csv.DictReader(io.StringIO(r.text, newline=""))]

    # Like the list: no status means the open ones; the outsider never gets the secret.
    assert ids("/incidents/export.csv") == [scene.down]
    assert ids("/incidents/export.csv?status=declined") == [scene.slow]
    assert ids("/incidents/export.csv?severity=4") == []
    as_person(client, scene.sec)
    assert ids("/incidents/export.csv") == [scene.secret, scene.down]
    assert ids(f"/incidents/export.csv?holder={scene.ic.id}") == [scene.down]
    assert client.get("/incidents/export.csv?status=nope").status_code == 422
    client.cookies.clear()
    r = client.get("/incidents/export.csv", follow_redirects=False)
    assert r.status_code in (302, 303)
    assert "/login" in r.headers["location"]


def _work(db: Database, scene: Scene, incident_id: str, who: Person) -> None:
    actor = actor_for(db, who.id)
    with db.unit_of_work() as uow:
        for n in range(4):
            notes.do_add_note(uow, actor, incident_id, f"Note number {n}")
        tasks.do_create_task(uow, actor, incident_id, TaskIn(title="Rotate keys"))
        do_post_update(uow, actor, incident_id, InternalUpdateIn(conditions="Login is hammered"))
        do_post_update(
            uow, actor, incident_id,
            PublicUpdateIn(kind="public", body="We are on it", public_status="identified"),
        )  # fmt: skip
        participants.do_add_participant(uow, actor, incident_id, scene.ic.id, page=False)
        roles.do_assign_role(uow, actor, incident_id, "commander", who.id)
        roles.do_assign_role(uow, actor, incident_id, "commander", scene.ic.id)
        uow.commit()


def test_one_incident_exported_whole(
    client: TestClient, db: Database, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    _work(db, scene, scene.secret, scene.sec)
    monkeypatch.setattr(report, "MAX_LIMIT", 3)  # so the timeline takes several pages
    url = f"{API}/{scene.secret}/export.json"
    r = client.get(url, headers=scene.sec.auth)
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].endswith('.json"')
    body: dict[str, Any] = r.json()
    assert body["incident"]["id"] == scene.secret
    assert body["incident"]["restricted"] is True
    timeline = body["timeline"]
    types = [e["type"] for e in timeline]
    assert types[0] == "incident.declared"  # oldest first
    assert [e["position"] for e in timeline] == sorted(e["position"] for e in timeline)
    assert len({e["event_id"] for e in timeline}) == len(timeline)
    note_bodies = [e["body"] for e in timeline if e["type"] == "incident.note_added"]
    assert note_bodies == [f"Note number {n}" for n in range(4)]
    assert "incident.task_created" in types
    assert "incident.role_assigned" in types
    assert types[-1] == "incident.role_handed_off"  # the newest, last
    assert [t["title"] for t in body["tasks"]] == ["Rotate keys"]
    assert sorted(u["kind"] for u in body["updates"]) == ["internal", "public"]
    internal = next(u for u in body["updates"] if u["kind"] == "internal")
    assert internal["conditions"] == "Login is hammered"
    assert {p["user_id"] for p in body["participants"]} >= {scene.sec.id, scene.ic.id}
    history = [(h["role"], h["user_id"], h["ended_at"] is None) for h in body["roles"]]
    assert history == [("commander", scene.sec.id, False), ("commander", scene.ic.id, True)]
    # The same with the whole timeline in one page.
    monkeypatch.undo()
    again = client.get(url, headers=scene.admin.auth).json()
    *same, exported = again["timeline"]  # the first export is on the timeline now
    assert [e["event_id"] for e in same] == [e["event_id"] for e in timeline]
    assert (exported["type"], exported["data"]["format"]) == ("incident.exported", "json")
    # Hidden from anyone who may not see it, and unknown ids: 404.
    for person in (scene.outsider, scene.viewer):
        r = client.get(url, headers=person.auth)
        assert r.status_code == 404
        assert "Credential" not in r.text
    assert client.get(f"{API}/nope/export.json", headers=scene.admin.auth).status_code == 404
    assert client.get(f"{API}/{scene.down}/export.json", headers=scene.viewer.auth).is_success
    # The older path without ".json" is the same export.
    assert (
        client.get(f"{API}/{scene.secret}/export", headers=scene.outsider.auth).status_code == 404
    )
    old = client.get(f"{API}/{scene.down}/export", headers=scene.viewer.auth)
    assert old.json()["incident"]["id"] == scene.down
